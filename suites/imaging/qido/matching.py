"""Check `imaging.qido.matching`: QIDO-RS matches the required study keys, wildcards and fuzzymatching."""

from __future__ import annotations

from typing import Any

from homolog import CheckError, Evidence, HttpClient, Target, TestData, check, fail
from homolog.suites.imaging.dicomweb import STUDY, attribute, results, search, study_record, study_uid, uids

CLAUSE = (
    "DICOM PS3.18 §10.6.1 (the origin server supports the required study matching keys: StudyDate, "
    "AccessionNumber, ModalitiesInStudy, PatientID, StudyInstanceUID ...), §8.3.4.1 (attribute matching as "
    "PS3.4 C.2.2.2: single value, UID list, range, wild card * and ? on LO) and §8.3.4.2 (fuzzymatching is a "
    "parameter every origin server accepts)"
)
_OTHER_MODALITIES = ("OT", "SM", "XA", "US", "NM", "PT", "MG", "DX")


@check("imaging.qido.matching", needs=STUDY)
def matching(http: HttpClient, target: Target, evidence: Evidence, test_data: TestData) -> None:
    """Each required key finds the study with its value and leaves it out with another; wildcards work."""
    uid = study_uid(http, target, test_data)
    record = study_record(http, target, uid)
    cases: list[tuple[str, list[tuple[str, str]], bool]] = []
    pid = next(iter(attribute(record, "PatientID")), None)
    date = next(iter(attribute(record, "StudyDate")), None)
    accession = next(iter(attribute(record, "AccessionNumber")), None)
    modalities = [str(m) for m in attribute(record, "ModalitiesInStudy")]
    if pid:
        pid = str(pid)
        cases += [
            ("PatientID", [("PatientID", pid)], True),
            ("PatientID", [("PatientID", pid + "-homolog-none")], False),
        ]
        if len(pid) > 1:
            cases += [
                ("PatientID wildcard *", [("PatientID", pid[:-1] + "*")], True),
                ("PatientID wildcard ?", [("PatientID", pid[:-1] + "?")], True),
                ("PatientID wildcard, no match", [("PatientID", "HOMOLOG-NONE*")], False),
            ]
    if date:
        date = str(date)
        cases += [
            ("StudyDate", [("StudyDate", date)], True),
            ("StudyDate range", [("StudyDate", f"{date}-{date}")], True),
            ("StudyDate", [("StudyDate", "19000101")], False),
            ("StudyDate range", [("StudyDate", "19000101-19000102")], False),
        ]
    if accession:
        cases += [
            ("AccessionNumber", [("AccessionNumber", str(accession))], True),
            ("AccessionNumber", [("AccessionNumber", "HOMOLOG-NONE")], False),
        ]
    if modalities:
        other = next(m for m in _OTHER_MODALITIES if m not in modalities)
        cases += [
            ("ModalitiesInStudy", [("ModalitiesInStudy", modalities[0])], True),
            ("ModalitiesInStudy", [("ModalitiesInStudy", other)], False),
        ]
    cases += [
        ("StudyInstanceUID list", [("StudyInstanceUID", f"2.25.1,{uid}")], True),
        ("StudyInstanceUID", [("StudyInstanceUID", "2.25.1")], False),
    ]
    if len(cases) < 6:
        raise CheckError(f"study {uid} lacks PatientID, StudyDate, AccessionNumber and ModalitiesInStudy to match on")
    problems: list[str] = []
    seen: list[dict[str, Any]] = []
    for label, params, expected in cases:
        resp = search(http, target, "/studies", params)
        found = uid in uids(results(resp))
        seen.append({"case": label, "request": resp.describe(), "should_find": expected, "found": found})
        if found != expected:
            problems.append(f"{label}: {resp.describe()} {'misses' if expected else 'returns'} study {uid}")
    name = next(iter(attribute(record, "PatientName")), None)
    if name:
        family = str(name).split("^")[0]
        plain = search(http, target, "/studies", [("PatientName", family + "*")])
        fuzzy = search(http, target, "/studies", [("PatientName", family + "*"), ("fuzzymatching", "true")])
        seen.append({"case": "fuzzymatching", "request": fuzzy.describe(), "status": fuzzy.status_code})
        if fuzzy.status_code >= 400:
            problems.append(f"fuzzymatching=true: {fuzzy.describe()} answered {fuzzy.status_code}")
        elif not set(uids(results(plain))) <= set(uids(results(fuzzy))):
            problems.append("fuzzymatching=true finds fewer studies than the same query without it")
    evidence.attach_json("qido-matching.json", {"clause": CLAUSE, "cases": seen})
    if problems:
        fail(f"QIDO-RS matching ({CLAUSE.split(' (')[0]}): " + "; ".join(problems[:6]))
