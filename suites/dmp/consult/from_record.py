"""dmp.consult.from_record: the patient record's DMP view lists what the patient's DMP holds."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections import Counter
from typing import TYPE_CHECKING, Any

from lxml import etree

from homolog import CheckError, Evidence, HttpClient, Target, check, fail
from homolog.counterparts.dmp import DmpControl
from homolog.suites.documents.display_rules import Subject, synthetic_document

from .._support import ins_of, read_patient

if TYPE_CHECKING:
    from homolog.suites.ui.session import UiSession

__all__ = ["dmp_view_lists_the_patients_documents"]

_TIMEOUT_MS = 15_000
_SEEDED = 3
_ATTEMPTS = 3
_TYPE = {"code": "11502-2", "scheme": "2.16.840.1.113883.6.1", "display": "CR d'examens biologiques"}


def _key(cx: str) -> tuple[str, str]:
    """(id, assigning authority OID) of a CX ``ID^^^&OID&ISO^TYPE``: how patient ids compare."""
    comps = cx.strip().split("^")
    authority = comps[3].split("&") if len(comps) > 3 else []
    return comps[0], authority[1] if len(authority) > 1 else ""


def _subject(patient: dict[str, Any], ins: tuple[str, str]) -> Subject:
    """The patient's traits as a synthetic document about them carries them."""
    names = [n for n in patient.get("name") or [] if isinstance(n, dict)]
    name = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    given = [g for g in name.get("given") or [] if isinstance(g, str)]
    try:
        birth = dt.date.fromisoformat(str(patient.get("birthDate")))
    except ValueError:
        birth = dt.date(1970, 1, 1)
    return Subject(
        family=str(name.get("family") or "INCONNU"),
        given=given[0] if given else "Inconnu",
        sex="M" if patient.get("gender") == "male" else "F",
        birth_date=birth,
        ins=ins,
    )


def _other_ins(ins: str, rng: random.Random) -> str:
    """A well-formed INS (NIR with its key) that is not ``ins``: another patient's."""
    while True:
        body = f"{rng.choice('12')}{rng.randint(0, 99):02d}{rng.randint(1, 12):02d}{rng.randint(10**7, 10**8 - 1)}"
        candidate = body + f"{97 - int(body) % 97:02d}"
        if candidate != ins:
            return candidate


def _held(dmp: DmpControl, key: tuple[str, str]) -> list[dict[str, Any]]:
    return [d for d in dmp.documents() if _key(str(d.get("patient_id") or "")) == key]


def _listing(ui: UiSession, patient_id: str) -> list[str]:
    ui.goto("patient_dmp", patient=patient_id)
    rows = ui.locator("patient_dmp", "document")
    return [" ".join(rows.nth(n).inner_text(timeout=_TIMEOUT_MS).split()) for n in range(min(rows.count(), 500))]


@check("dmp.consult.from_record")
def dmp_view_lists_the_patients_documents(
    ui: UiSession, dmp: DmpControl, http: HttpClient, target: Target, evidence: Evidence
) -> None:
    """The patient record's DMP view lists every document the patient's DMP holds, and only theirs.

    Documents are put in the DMP simulator for ``data.patient_qualified`` (by the INS
    their FHIR Patient exposes) and for another patient; the DMP view of the record
    (``pages.patient_dmp``, one row per document: locator ``document``) must list each
    document the DMP holds for the patient (by title), none of the other patient's, and
    no more rows than the DMP holds; the registry queries the system sent meanwhile must
    name the patient's INS. Opening a document (locator ``open`` in its row) must
    retrieve it from the DMP and show it (``pages.dmp_document.locators.content``).
    """
    rng = random.Random()
    patient_id = str(target.datum("patient_qualified"))
    patient = read_patient(http, patient_id)
    ins = ins_of(patient)
    if ins is None:
        raise CheckError(
            f"Patient/{patient_id} (data.patient_qualified) exposes no INS: cannot tell whose DMP the view must show"
        )
    oid, value = ins
    key = (value, oid)
    subject = _subject(patient, ins)
    seeded = []
    for _ in range(_SEEDED):
        content = synthetic_document(rng, subject=subject)
        title = _title(content)
        seeded.append(dmp.seed(patient_id=f"{value}^^^&{oid}&ISO^NH", title=title, content=content, type_code=_TYPE))
    decoy_content = synthetic_document(rng)
    decoy = dmp.seed(
        patient_id=f"{_other_ins(value, rng)}^^^&{oid}&ISO^NH",
        title=_title(decoy_content),
        content=decoy_content,
        type_code=_TYPE,
    )
    evidence.attach_json("dmp-seeded.json", {"patient": seeded, "other_patient": decoy})
    since = dmp.last_seq()
    ui.login(landing=False)
    for _attempt in range(_ATTEMPTS):
        before = _held(dmp, key)
        rows = ui.in_session(lambda: _listing(ui, patient_id), what="reading the DMP view")
        held = _held(dmp, key)
        if [d["unique_id"] for d in held] == [d["unique_id"] for d in before]:
            break
    else:
        raise CheckError(f"the DMP's content for Patient/{patient_id} kept changing while the view was read")
    ui.screenshot("dmp-view")
    queries = [r for r in dmp.exchanges(since) if r.get("operation") == "find_documents"]
    evidence.attach_json("dmp-view.json", {"rows": rows, "held": held, "queries": queries})
    problems = _list_problems(rows, held, seeded, decoy)
    asked = sorted({str((q.get("query") or {}).get("patient_id") or "") for q in queries})
    wrong = [p for p in asked if _key(p) != key]
    # Other checks may open other patients' records meanwhile: a query for someone else
    # tells against the system only when none named this patient.
    if wrong and len(wrong) == len(asked):
        refused = "; ".join(f"{e.get('code')}: {e.get('context')}" for q in queries for e in q.get("errors") or [])
        problems.append(
            f"the system queried the DMP for {', '.join(map(repr, wrong))}, the patient's INS is {value} ({oid})"
            + (f" (the DMP answered {refused})" if refused else "")
        )
    if problems and not queries:
        problems.append("no registry query (FindDocuments) reached the DMP")
    if problems:
        fail(f"the DMP view of Patient/{patient_id}: " + "; ".join(problems))
    _open_one(ui, dmp, rows, seeded[0], since, patient_id)


def _title(content: bytes) -> str:
    return str(etree.fromstring(content).findtext("{urn:hl7-org:v3}title") or "")


def _list_problems(
    rows: list[str], held: list[dict[str, Any]], seeded: list[dict[str, Any]], decoy: dict[str, Any]
) -> list[str]:
    """How the listed rows differ from what the DMP holds for the patient.

    Titles change at every run: sentences count, the titles go to the evidence.
    """
    problems = []
    wanted = Counter(str(d.get("title") or "") for d in held)
    missing = {t for t, n in wanted.items() if sum(t.casefold() in r.casefold() for r in rows) < n}
    ours = {str(d["title"]) for d in seeded}
    if missing & ours:
        problems.append(f"{len(missing & ours)} of the {len(ours)} documents put in the patient's DMP are not listed")
    if missing - ours:
        problems.append("documents the DMP holds for the patient from other sources are not all listed")
    if any(str(decoy["title"]).casefold() in r.casefold() for r in rows):
        problems.append("it lists the document put in another patient's DMP")
    if len(rows) > len(held):
        problems.append("it lists more documents than the DMP holds for the patient")
    return problems


def _open_one(
    ui: UiSession, dmp: DmpControl, rows: list[str], doc: dict[str, Any], since: int, patient_id: str
) -> None:
    """Open ``doc`` from its row: the DMP must be asked for it and the page must show it."""
    title = str(doc["title"])

    def open_it() -> None:
        shown_rows = rows
        if not ui.at_page("patient_dmp", patient=patient_id):  # done again after the session lapsed
            shown_rows = _listing(ui, patient_id)
        index = next((n for n, r in enumerate(shown_rows) if title.casefold() in r.casefold()), None)
        if index is None:
            raise CheckError(f"the DMP view no longer lists {title!r} once opened again")
        row = ui.locator("patient_dmp", "document").nth(index)
        link = row.locator(ui.target.page("patient_dmp").locator("open"))
        if not link.count():
            raise CheckError("the row of a listed document has no control to open it (pages.patient_dmp.locators.open)")
        try:
            # a link loads a page, a single-page application may draw the document in place:
            # no navigation is assumed; the click waits for one it starts, then the region shows
            link.first.click(timeout=_TIMEOUT_MS)
            ui.page.wait_for_load_state("load", timeout=_TIMEOUT_MS)
        except Exception as exc:
            raise CheckError(f"opening a listed document from the DMP view did not complete: {exc}") from exc

    ui.in_session(open_it, what="opening a listed document from the DMP view")
    region = ui.locator("dmp_document", "content")
    with contextlib.suppress(Exception):  # absent region: said below as "not shown"
        region.first.wait_for(state="attached", timeout=_TIMEOUT_MS)
    shown = region.first.inner_text(timeout=_TIMEOUT_MS)[:2_000_000] if region.count() else ""
    ui.screenshot("dmp-document")
    ui.evidence.attach_text("dmp-document.txt", f"opened {title!r}\n{shown}")
    retrieved = [
        r
        for r in dmp.exchanges(since)
        if r.get("operation") == "retrieve" and doc["unique_id"] in (r.get("results") or [])
    ]
    if not retrieved:
        fail(f"opening a listed document from the DMP view of Patient/{patient_id} did not retrieve it from the DMP")
    if title.casefold() not in " ".join(shown.split()).casefold():
        fail(
            f"opening a listed document from the DMP view of Patient/{patient_id} does not show it (its title is"
            " not in pages.dmp_document.locators.content; see dmp-document.txt)"
        )
