"""What a readable display of a CDA document must show, and how a page's text is judged.

``synthetic_document`` writes a CDA R2 document a system may receive (a structured
laboratory report of a made-up patient: header, several sections with narrative text,
tables, lists, a nested section), different at every call so that nothing can be
recognised by heart. ``expected_display`` reads, from any CDA, what a professional must be
able to read on the display page: the header (document type, title, date, patient
identity traits, author) and every section title and narrative text. ``display_problems``
compares that with the text a page shows (as rendered: hidden text does not count).

Dates are accepted in the forms a French display writes them (``28/03/1979``,
``28/3/1979``, ``1979-03-28``, ``28 mars 1979``); sex as a word (``Féminin``,
``Femme``...) or after a ``Sexe`` label; text is compared case-insensitively with
whitespace collapsed (a stylesheet may upper-case a name or wrap a line).
"""

from __future__ import annotations

import datetime as dt
import random
import re
import uuid
from dataclasses import dataclass, field

from lxml import etree

__all__ = [
    "DisplayExpectation",
    "Subject",
    "display_problems",
    "expected_display",
    "raw_xml_shown",
    "synthetic_document",
]

NS = "urn:hl7-org:v3"
_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
_SEX_WORDS = {"F": ("féminin", "féminine", "femme"), "M": ("masculin", "masculine", "homme")}
_RAW_MARKERS = ("<clinicaldocument", "</section>", "<structuredbody", "<recordtarget", 'xmlns="urn:hl7-org:v3"')
_MAX_CHUNKS = 400


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class DisplayExpectation:
    """What must be readable: header items (label, accepted forms) and sections' texts."""

    header: list[tuple[str, tuple[str, ...]]]
    sections: list[tuple[str, list[str]]]  # (section title, its narrative's text pieces)
    notes: list[str] = field(default_factory=list)  # why some header item is not asked for


def _q(path: str) -> str:
    return "/".join(f"{{{NS}}}{p}" for p in path.split("/"))


def _text(el: etree._Element | None) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _date_forms(value: str | None) -> tuple[str, ...]:
    if not value or len(value) < 8 or not value[:8].isdigit():
        return ()
    try:
        day = dt.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return ()
    return (
        day.strftime("%d/%m/%Y"),
        f"{day.day}/{day.month}/{day.year}",
        day.isoformat(),
        f"{day.day} {_MONTHS[day.month - 1]} {day.year}",
        f"{day.day:02d} {_MONTHS[day.month - 1]} {day.year}",
        f"1er {_MONTHS[day.month - 1]} {day.year}" if day.day == 1 else day.strftime("%d.%m.%Y"),
    )


def _pieces(text: etree._Element) -> list[str]:
    """The narrative's text pieces: each text node, whitespace collapsed (markup splits them)."""
    pieces = []
    for node in text.iter():
        if not isinstance(node.tag, str):
            continue
        for chunk in (node.text, node.tail if node is not text else None):
            words = " ".join((chunk or "").split())
            if words:
                pieces.append(words)
    return pieces[:_MAX_CHUNKS]


def expected_display(root: etree._Element) -> DisplayExpectation:
    """What a display of the CDA ``root`` must show (see the module docstring)."""
    header: list[tuple[str, tuple[str, ...]]] = []
    notes: list[str] = []
    code = root.find(_q("code"))
    type_name = (code.get("displayName") or "") if code is not None else ""
    if type_name:
        header.append(("document type", (type_name,)))
    title = _text(root.find(_q("title")))
    if title:
        header.append(("title", (title,)))
    effective = root.find(_q("effectiveTime"))
    forms = _date_forms(effective.get("value") if effective is not None else None)
    if forms:
        header.append(("document date", forms))
    patient = root.find(_q("recordTarget/patientRole/patient"))
    name = patient.find(_q("name")) if patient is not None else None
    if name is not None:
        families = name.findall(_q("family"))
        birth = [f for f in families if f.get("qualifier") == "BR"] or families
        if birth:
            header.append(("patient's birth name", (_text(birth[0]),)))
        given = name.findall(_q("given"))
        if given:
            header.append(("patient's first given name", (_text(given[0]).split()[0],)))
    birth_time = patient.find(_q("birthTime")) if patient is not None else None
    forms = _date_forms(birth_time.get("value") if birth_time is not None else None)
    if forms:
        header.append(("patient's birth date", forms))
    gender = patient.find(_q("administrativeGenderCode")) if patient is not None else None
    sex = (gender.get("code") or "") if gender is not None else ""
    if sex in _SEX_WORDS:
        header.append(("patient's sex", _SEX_WORDS[sex]))
    elif sex:
        notes.append(f"sex code {sex!r} has no word to look for")
    person = root.find(_q("author/assignedAuthor/assignedPerson/name"))
    if person is not None and person.find(_q("family")) is not None:
        header.append(("author's name", (_text(person.find(_q("family"))),)))
    sections: list[tuple[str, list[str]]] = []
    for section in root.iter(f"{{{NS}}}section"):
        text = section.find(_q("text"))
        sections.append((_text(section.find(_q("title"))), _pieces(text) if text is not None else []))
    return DisplayExpectation(header, sections, notes)


def raw_xml_shown(shown: str) -> str | None:
    """The XML markup a page shows as text (a sign the document is printed raw), if any."""
    low = shown.casefold()
    return next((marker for marker in _RAW_MARKERS if marker in low), None)


def _shows(shown: str, form: str) -> bool:
    wanted = _norm(form)
    return bool(wanted) and wanted in shown


def display_problems(shown_text: str, expected: DisplayExpectation) -> list[tuple[str, list[str]]]:
    """What the displayed text lacks: (sentence, the forms looked for), one per header item
    or section. The sentence names no value of the document (which changes at every run):
    the values go to the evidence."""
    shown = _norm(shown_text)
    problems: list[tuple[str, list[str]]] = []
    for label, forms in expected.header:
        if label == "patient's sex":
            if not any(re.search(rf"\b{re.escape(w)}\b", shown) for w in forms) and not re.search(
                rf"\bsexe\s*:?\s*{forms[0][0]}\b", shown
            ):
                problems.append((f"the {label} is not shown", list(forms)))
        elif not any(_shows(shown, f) for f in forms):
            problems.append((f"the {label} is not shown", list(forms)))
    for n, (title, pieces) in enumerate(expected.sections, 1):
        name = f"{n} ({title!r})" if title else f"{n} (untitled)"
        if title and not _shows(shown, title):
            problems.append((f"section {name} is not shown (no title)", [title]))
            continue
        missing = [p for p in pieces if not _shows(shown, p)]
        if missing:
            problems.append(
                (f"section {name}: {len(missing)} of {len(pieces)} narrative text pieces are not shown", missing)
            )
    return problems


# ---- the synthetic document -----------------------------------------------------------------

_FAMILIES = ("AUBRAC", "BELCASTEL", "CORDES", "DOMME", "ESTAING", "FLAVIGNY", "GERBEROY", "HUNSPACH")
_GIVENS = {"F": ("Albane", "Bérénice", "Clémence", "Daphné"), "M": ("Aurélien", "Baptiste", "Césaire", "Dorian")}
_AUTHORS = (("LEBRETON", "Hélène"), ("MARCHAND", "Yves"), ("NOVAK", "Irène"))


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, f"{{{NS}}}{tag}", {k.rstrip("_"): v for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def _section(parent: etree._Element, code: str, title: str) -> tuple[etree._Element, etree._Element]:
    section = _el(_el(parent, "component"), "section")
    _el(section, "code", code=code, codeSystem="2.16.840.1.113883.6.1", displayName=title)
    _el(section, "title", title)
    return section, _el(section, "text")


@dataclass(frozen=True)
class Subject:
    """Whom a synthetic document is about (a made-up patient when none is given)."""

    family: str
    given: str
    sex: str  # F or M
    birth_date: dt.date
    ins: tuple[str, str] | None = None  # (OID, INS)


def synthetic_document(rng: random.Random | None = None, *, subject: Subject | None = None) -> bytes:
    """A CDA R2 laboratory report (synthetic, new at every call) about ``subject``."""
    rng = rng or random.Random()
    token = uuid.UUID(int=rng.getrandbits(128)).hex[:8].upper()
    sex = subject.sex if subject else rng.choice("FM")
    family = subject.family if subject else rng.choice(_FAMILIES)
    given = subject.given if subject else rng.choice(_GIVENS[sex])
    author = rng.choice(_AUTHORS)
    birth = subject.birth_date if subject else dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 60 * 365))
    when = dt.datetime(2026, 1, 1, 8, 0) + dt.timedelta(minutes=rng.randrange(0, 300 * 24 * 60))
    root = etree.Element(f"{{{NS}}}ClinicalDocument", nsmap={None: NS})
    _el(root, "realmCode", code="FR")
    _el(root, "typeId", root="2.16.840.1.113883.1.3", extension="POCD_HD000040")
    _el(root, "templateId", root="1.2.250.1.213.1.1.1.1")
    _el(root, "id", root=f"2.25.{uuid.UUID(int=rng.getrandbits(128)).int}")
    _el(root, "code", code="11502-2", codeSystem="2.16.840.1.113883.6.1", displayName="CR d'examens biologiques")
    _el(root, "title", f"CR d'examens biologiques — dossier {token}")
    _el(root, "effectiveTime", value=when.strftime("%Y%m%d%H%M%S+0100"))
    _el(root, "confidentialityCode", code="N", codeSystem="2.16.840.1.113883.5.25")
    _el(root, "languageCode", code="fr-FR")
    role = _el(_el(root, "recordTarget"), "patientRole")
    if subject and subject.ins:
        _el(role, "id", root=subject.ins[0], extension=subject.ins[1])
    _el(role, "id", root="1.2.250.1.999.1.1", extension=f"IPP{token}")
    patient = _el(role, "patient")
    name = _el(patient, "name")
    _el(name, "given", given, qualifier="BR")
    _el(name, "family", family, qualifier="BR")
    _el(patient, "administrativeGenderCode", code=sex, codeSystem="2.16.840.1.113883.5.1")
    _el(patient, "birthTime", value=birth.strftime("%Y%m%d"))
    author_el = _el(root, "author")
    _el(author_el, "time", value=when.strftime("%Y%m%d%H%M%S+0100"))
    assigned = _el(author_el, "assignedAuthor")
    _el(assigned, "id", root="1.2.250.1.71.4.2.1", extension="810000000009")
    person = _el(_el(assigned, "assignedPerson"), "name")
    _el(person, "given", author[1])
    _el(person, "family", author[0])
    org = _el(_el(_el(root, "custodian"), "assignedCustodian"), "representedCustodianOrganization")
    _el(org, "id", root="1.2.250.1.71.4.2.2", extension="1750000002")
    _el(org, "name", "Laboratoire de biologie synthétique homolog")
    body = _el(_el(root, "component"), "structuredBody")

    hb = f"{rng.randint(110, 165) / 10:.1f}".replace(".", ",")
    leuco = f"{rng.randint(40, 110) / 10:.1f}".replace(".", ",")
    _section_table(
        body,
        "18723-7",
        "Hématologie",
        [("Hémoglobine", hb, "g/dL", "12,0 – 16,0"), ("Leucocytes", leuco, "G/L", "4,0 – 10,0")],
    )
    glucose = f"{rng.randint(40, 75) / 10:.2f}".replace(".", ",")
    section, text = _section(body, "18719-5", "Biochimie")
    paragraph = _el(text, "paragraph", "Prélèvement veineux à jeun, ")
    _el(paragraph, "content", f"réf. {token}").tail = "."
    items = _el(text, "list")
    _el(items, "item", f"Glycémie à jeun : {glucose} mmol/L")
    _el(items, "item", f"Créatinine : {rng.randint(50, 110)} µmol/L")
    _, sub_text = _section(section, "2345-7", "Glycémie — interprétation")
    _el(sub_text, "paragraph", f"Valeur dans l'intervalle de référence (contrôle {token}).")
    _, text = _section(body, "48767-8", "Commentaire du biologiste")
    comment = _el(text, "paragraph", "Résultats validés par le biologiste.")
    _el(comment, "br").tail = f"Aucun contrôle supplémentaire nécessaire ({token[::-1]})."
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _section_table(body: etree._Element, code: str, title: str, rows: list[tuple[str, str, str, str]]) -> None:
    _, text = _section(body, code, title)
    table = _el(text, "table", border="1")
    head = _el(_el(table, "thead"), "tr")
    for label in ("Examen", "Résultat", "Unité", "Valeurs de référence"):
        _el(head, "th", label)
    tbody = _el(table, "tbody")
    for row in rows:
        tr = _el(tbody, "tr")
        for cell in row:
            _el(tr, "td", cell)
