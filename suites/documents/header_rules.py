"""Header rules of CI-SIS CDA documents that matter for certification (pure functions).

Each function takes a parsed ``ClinicalDocument`` and returns the :class:`~.svrl.Issue`
list it found (empty when the rule holds). The checks in this folder apply them to the
documents of the SUT; keeping them free of the engine lets them be tested on files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree

from .svrl import Issue

__all__ = [
    "INS_OID_PREFIX",
    "OBSOLETE_INS_C_OID",
    "VALID_INS_OIDS",
    "author_id_issues",
    "clinical_date_issues",
    "custodian_id_issues",
    "identity_trait_issues",
    "ins_issues",
    "luhn_ok",
    "nir_key_ok",
    "structure_finess_issues",
]

NS = {"cda": "urn:hl7-org:v3"}
INS_OID_PREFIX = "1.2.250.1.213.1.4."
VALID_INS_OIDS = (
    "1.2.250.1.213.1.4.8",  # INS-NIR
    "1.2.250.1.213.1.4.9",  # INS-NIA
    "1.2.250.1.213.1.4.10",  # INS-NIR de test
    "1.2.250.1.213.1.4.11",  # INS-NIR de démonstration
)
OBSOLETE_INS_C_OID = "1.2.250.1.213.1.4.2"
OID_IDNATPS = "1.2.250.1.71.4.2.1"
OID_IDNATST = "1.2.250.1.71.4.2.2"
_TS_DATE = re.compile(r"^\d{8}(\d{2}(\d{2}(\d{2}(\.\d+)?)?)?)?([+-]\d{4})?$")
_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_IDNATPS = re.compile(r"^(8\d{11}|0\d{9})$")  # 8 + RPPS, or 0 + ADELI
_IDNATST = re.compile(r"^(1\d{9}|2\d{9}|3\d{14})$")  # 1 + FINESS, 2 + SIREN, 3 + SIRET
_IDNATST_FINESS = re.compile(r"^1(\d{9})$")
# Where a document names the structure it comes from: the custodian, and the organisation
# on whose behalf each author who is a person acts (xpath of the holders, of the
# organisation under a holder, and the location reported).
STRUCTURE_PLACES: dict[str, tuple[str, str, str]] = {
    "custodian": (
        "cda:custodian/cda:assignedCustodian",
        "cda:representedCustodianOrganization",
        "/ClinicalDocument/custodian/assignedCustodian/representedCustodianOrganization/id",
    ),
    "author": (
        "cda:author/cda:assignedAuthor[cda:assignedPerson]",
        "cda:representedOrganization",
        "/ClinicalDocument/author/assignedAuthor/representedOrganization/id",
    ),
}


def _issue(rule: str, message: str, location: str | None = None) -> Issue:
    return Issue(severity="error", source="header", message=message, location=location, rule_id=rule)


def _ascii_digits(text: str) -> bool:
    # `str.isdigit` and `int` take any script's digits (`２７９…`): no register issues those
    return text.isascii() and text.isdigit()


def nir_key_ok(nir: str) -> bool:
    """True when a 15-character NIR has the right key (97 - number mod 97; Corsica aware)."""
    if len(nir) != 15:
        return False
    body = nir[:13].upper().replace("2A", "19").replace("2B", "18")
    if not _ascii_digits(body) or not _ascii_digits(nir[13:]):
        return False
    return 97 - int(body) % 97 == int(nir[13:])


def luhn_ok(digits: str) -> bool:
    """Luhn checksum (RPPS, FINESS, SIREN, SIRET)."""
    if not _ascii_digits(digits):
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _patient_ids(doc: etree._Element) -> list[etree._Element]:
    return list(doc.xpath("cda:recordTarget/cda:patientRole/cda:id", namespaces=NS))


def ins_issues(
    doc: etree._Element,
    *,
    qualified: bool | None,
    allowed_oids: Iterable[str] = VALID_INS_OIDS,
    expected_ins: str | None = None,
    expected_oid: str | None = None,
) -> list[Issue]:
    """INS in ``recordTarget``: right OID root, valid key, present only for a qualified identity.

    ``qualified`` is None when the document's patient status is unknown: then only the
    OID and key rules are applied.
    """
    allowed = set(allowed_oids)
    where = "/ClinicalDocument/recordTarget/patientRole/id"
    ins_ids = [i for i in _patient_ids(doc) if i.get("root", "").startswith(INS_OID_PREFIX)]
    issues: list[Issue] = []
    for ins in ins_ids:
        root, ext = ins.get("root", ""), ins.get("extension", "")
        if root == OBSOLETE_INS_C_OID:
            issues.append(
                _issue(
                    "ins-oid",
                    f"the INS {ext} is sent under the obsolete INS-C OID {root}; expected one of {sorted(allowed)}",
                    where,
                )
            )
        elif root not in allowed:
            issues.append(_issue("ins-oid", f"the INS {ext} has OID root {root}, not one of {sorted(allowed)}", where))
        if not nir_key_ok(ext):
            issues.append(_issue("ins-key", f"the INS {ext!r} is not 15 characters with a valid key", where))
    if qualified is False and ins_ids:
        issues.append(
            _issue(
                "ins-unqualified",
                "the document carries an INS although the patient's identity is not qualified"
                " (only the traits may be sent)",
                where,
            )
        )
    if qualified is True:
        if not ins_ids:
            issues.append(
                _issue(
                    "ins-missing",
                    "the patient's identity is qualified but the document carries no INS in recordTarget",
                    where,
                )
            )
        else:
            if expected_ins and all(i.get("extension") != expected_ins for i in ins_ids):
                issues.append(
                    _issue(
                        "ins-value",
                        f"expected INS {expected_ins}, found {[i.get('extension') for i in ins_ids]}",
                        where,
                    )
                )
            if expected_oid and all(i.get("root") != expected_oid for i in ins_ids):
                issues.append(
                    _issue(
                        "ins-oid", f"expected INS OID {expected_oid}, found {[i.get('root') for i in ins_ids]}", where
                    )
                )
    return issues


def identity_trait_issues(doc: etree._Element, *, require_birthplace: bool = True) -> list[Issue]:
    """Birth name (``qualifier="BR"``), birth given names, sex, birthTime, birthplace."""
    issues: list[Issue] = []
    base = "/ClinicalDocument/recordTarget/patientRole/patient"
    patients = doc.xpath("cda:recordTarget/cda:patientRole/cda:patient", namespaces=NS)
    if not patients:
        return [_issue("patient", "recordTarget/patientRole/patient is missing", base)]
    patient = patients[0]
    names = patient.xpath("cda:name", namespaces=NS)
    birth_names = [
        f for n in names for f in n.xpath("cda:family[@qualifier='BR']", namespaces=NS) if (f.text or "").strip()
    ]
    if not birth_names:
        issues.append(_issue("birth-name", 'no birth name: name/family with qualifier="BR"', f"{base}/name"))
    givens = [
        g
        for n in names
        for g in n.xpath("cda:given", namespaces=NS)
        if (g.get("qualifier") in (None, "BR")) and (g.text or "").strip()
    ]
    if not givens:
        issues.append(_issue("birth-given-names", "no birth given name (name/given)", f"{base}/name"))
    gender = patient.find("cda:administrativeGenderCode", NS)
    if gender is None or gender.get("code") not in ("F", "M", "U"):
        issues.append(
            _issue("sex", "administrativeGenderCode must have code F, M or U", f"{base}/administrativeGenderCode")
        )
    birth = patient.find("cda:birthTime", NS)
    value = birth.get("value", "") if birth is not None else ""
    if not _TS_DATE.match(value):
        issues.append(
            _issue(
                "birth-time",
                f"birthTime must carry a date (YYYYMMDD), found {value!r}"
                if birth is not None
                else "birthTime is missing",
                f"{base}/birthTime",
            )
        )
    if require_birthplace:
        county = patient.xpath("cda:birthplace/cda:place/cda:addr/cda:county/text()", namespaces=NS)
        code = str(county[0]).strip() if county else ""
        if not _INSEE.match(code):
            issues.append(
                _issue(
                    "birthplace",
                    "birthplace/place/addr/county must hold the INSEE code of the"
                    f" birthplace (5 characters, 99999 if unknown), found {code!r}",
                    f"{base}/birthplace/place/addr/county",
                )
            )
    return issues


def author_id_issues(doc: etree._Element, *, check_luhn: bool = False) -> list[Issue]:
    """Every author that is a person is identified by an idNatPS (OID 1.2.250.1.71.4.2.1)."""
    issues: list[Issue] = []
    authors = doc.xpath("cda:author/cda:assignedAuthor[cda:assignedPerson]", namespaces=NS)
    if not authors:
        return [_issue("author", "no author person in the header", "/ClinicalDocument/author")]
    for index, author in enumerate(authors, start=1):
        where = f"/ClinicalDocument/author[{index}]/assignedAuthor/id"
        ids = author.xpath(f"cda:id[@root='{OID_IDNATPS}']", namespaces=NS)
        if not ids:
            issues.append(
                _issue("author-idnatps", f"author {index} has no id with root {OID_IDNATPS} (idNatPS)", where)
            )
            continue
        ext = ids[0].get("extension", "")
        if not _IDNATPS.match(ext):
            issues.append(
                _issue(
                    "author-idnatps",
                    f"author {index} idNatPS {ext!r} is not 8 + 11-digit RPPS or 0 + 9-digit ADELI",
                    where,
                )
            )
        elif check_luhn and ext.startswith("8") and not luhn_ok(ext[1:]):
            issues.append(_issue("author-idnatps", f"author {index} RPPS {ext[1:]} fails the Luhn check", where))
    return issues


def custodian_id_issues(doc: etree._Element, *, check_luhn: bool = False) -> list[Issue]:
    """The custodian organisation is identified by an idNatSt (OID 1.2.250.1.71.4.2.2)."""
    where = "/ClinicalDocument/custodian/assignedCustodian/representedCustodianOrganization/id"
    ids = doc.xpath(
        f"cda:custodian/cda:assignedCustodian/cda:representedCustodianOrganization/cda:id[@root='{OID_IDNATST}']",
        namespaces=NS,
    )
    if not ids:
        return [_issue("custodian-idnatst", f"custodian has no id with root {OID_IDNATST} (idNatSt)", where)]
    ext = ids[0].get("extension", "")
    if not _IDNATST.match(ext):
        return [
            _issue("custodian-idnatst", f"custodian idNatSt {ext!r} is not 1 + FINESS, 2 + SIREN or 3 + SIRET", where)
        ]
    if check_luhn and not luhn_ok(ext[1:]):
        return [_issue("custodian-idnatst", f"custodian idNatSt {ext} fails the Luhn check", where)]
    return []


def structure_finess_issues(
    doc: etree._Element,
    *,
    places: Iterable[str] = ("custodian",),
    check_luhn: bool = True,
    expected_finess: str | None = None,
) -> list[Issue]:
    """The structure is named by its FINESS (idNatSt ``1`` + FINESS) at each of ``places``.

    ``places`` are keys of :data:`STRUCTURE_PLACES`; for ``author``, every author who is a
    person must act for an organisation carrying the FINESS. ``expected_finess`` is the
    structure's own FINESS when known: another structure's is then an issue too.
    """
    issues: list[Issue] = []
    for place in places:
        holders_path, org_path, where = STRUCTURE_PLACES[place]
        holders = doc.xpath(holders_path, namespaces=NS)
        if not holders:
            issues.append(_issue("structure-finess", f"no {place} in the header", where))
        for index, holder in enumerate(holders, start=1):
            label = place if len(holders) == 1 else f"{place} {index}"
            ids = [
                i.get("extension", "") for i in holder.xpath(f"{org_path}/cda:id[@root='{OID_IDNATST}']", namespaces=NS)
            ]
            if not ids:
                issues.append(
                    _issue("structure-finess", f"{label}: no organisation id with root {OID_IDNATST} (idNatSt)", where)
                )
                continue
            finess = next((m.group(1) for m in map(_IDNATST_FINESS.match, ids) if m), None)
            if finess is None:
                issues.append(
                    _issue("structure-finess", f"{label}: idNatSt {ids[0]!r} is not 1 + a 9-digit FINESS", where)
                )
                continue
            if check_luhn and not luhn_ok(finess):
                issues.append(_issue("structure-finess", f"{label}: FINESS {finess} fails the Luhn check", where))
            if expected_finess and finess != expected_finess:
                issues.append(
                    _issue(
                        "structure-finess",
                        f"{label}: FINESS {finess} is not the structure's FINESS {expected_finess}",
                        where,
                    )
                )
    return issues


def clinical_date_issues(doc: etree._Element) -> list[Issue]:
    """The clinical date: ``documentationOf/serviceEvent/effectiveTime`` (low or value)."""
    where = "/ClinicalDocument/documentationOf/serviceEvent/effectiveTime"
    times = doc.xpath("cda:documentationOf/cda:serviceEvent/cda:effectiveTime", namespaces=NS)
    for time in times:
        values = [time.get("value"), *time.xpath("cda:low/@value", namespaces=NS)]
        if any(v and _TS_DATE.match(v) for v in values):
            return []
    if times:
        return [
            _issue(
                "clinical-date",
                "serviceEvent/effectiveTime carries no date (value or low/@value in HL7 TS format)",
                where,
            )
        ]
    return [
        _issue(
            "clinical-date",
            "no documentationOf/serviceEvent/effectiveTime: the clinical date of the act is missing",
            where,
        )
    ]
