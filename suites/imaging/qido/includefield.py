"""Check `imaging.qido.includefield`: QIDO-RS returns the attributes includefield asks for."""

from __future__ import annotations

from typing import Any

from homolog import CheckError, Evidence, HttpClient, Target, TestData, check, fail
from homolog.suites.imaging.dicomweb import STUDY, attribute, hex_tag, metadata, results, study_record, study_uid

CLAUSE = (
    "DICOM PS3.18 §8.3.4.3 (includefield names attributes, by keyword or tag, or all) and §10.6.3.3 (the "
    "response contains the study attributes passed as includefield, all of them for includefield=all)"
)
# Study-level attributes outside the default return keys (PS3.18 Table 10.6.3-3).
_CANDIDATES = ("StudyDescription", "PatientAge", "AdmittingDiagnosesDescription", "PatientWeight")


@check("imaging.qido.includefield", needs=STUDY)
def includefield(http: HttpClient, target: Target, evidence: Evidence, test_data: TestData) -> None:
    """An attribute asked with includefield (keyword, tag or all) comes back with the study's value."""
    uid = study_uid(http, target, test_data)
    instances = results(metadata(http, target, f"/studies/{uid}/metadata"))
    if not instances:
        raise CheckError(f"WADO-RS gives no metadata for study {uid}: nothing to compare includefield with")
    keyword = next((k for k in _CANDIDATES if attribute(instances[0], k)), None)
    if keyword is None:
        raise CheckError(f"study {uid} has none of {', '.join(_CANDIDATES)}: no attribute to ask includefield for")
    expected = attribute(instances[0], keyword)
    problems: list[str] = []
    seen: list[dict[str, Any]] = []
    for how in (keyword, hex_tag(keyword), "all"):
        record = study_record(http, target, uid, includefield=how)
        got = attribute(record, keyword)
        seen.append({"includefield": how, "expected": expected, "got": got})
        if got != expected:
            problems.append(f"includefield={how}: {keyword} is {got or 'absent'}, the study has {expected}")
    evidence.attach_json("qido-includefield.json", {"clause": CLAUSE, "attribute": keyword, "cases": seen})
    if problems:
        fail(f"includefield not honoured ({CLAUSE.split(' (')[0]}): " + "; ".join(problems))
