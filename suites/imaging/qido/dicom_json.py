"""Check `imaging.qido.dicom_json`: QIDO-RS answers application/dicom+json in the DICOM JSON model."""

from __future__ import annotations

from homolog import Evidence, HttpClient, Target, TestData, check, fail
from homolog.suites.imaging.dicomweb import (
    DICOM_JSON,
    STUDY,
    dicom_json_problems,
    hex_tag,
    media_type,
    results,
    search,
    study_uid,
)

CLAUSE = (
    "DICOM PS3.18 §10.6.3.3 (search results in an acceptable media type, with the study attributes of "
    "Table 10.6.3-3), §8.7 (application/dicom+json) and Annex F.2 (DICOM JSON model: 8-hex-digit keys, vr, "
    "Value arrays, PN objects)"
)
_REQUIRED = (
    "StudyInstanceUID",
    "StudyDate",
    "StudyTime",
    "AccessionNumber",
    "ModalitiesInStudy",
    "PatientName",
    "PatientID",
    "StudyID",
)


@check("imaging.qido.dicom_json", needs=STUDY)
def dicom_json(http: HttpClient, target: Target, evidence: Evidence, test_data: TestData) -> None:
    """Study search results are application/dicom+json objects of the DICOM JSON model, with the study keys."""
    uid = study_uid(http, target, test_data)
    resp = search(http, target, "/studies", [("StudyInstanceUID", uid)])
    problems: list[str] = []
    if media_type(resp) != DICOM_JSON:
        problems.append(f"{resp.describe()} is labelled {media_type(resp) or 'nothing'}, not {DICOM_JSON}")
    items = results(resp)
    if not items:
        problems.append(f"{resp.describe()} found no study {uid}")
    problems += dicom_json_problems(items)
    for item in items[:1]:
        missing = [k for k in _REQUIRED if hex_tag(k) not in item]
        if missing:
            problems.append(f"the study result lacks {', '.join(missing)}")
    evidence.attach_json("qido-dicom-json.json", {"clause": CLAUSE, "problems": problems})
    if problems:
        fail(f"not the DICOM JSON search result ({CLAUSE.split(' (')[0]}): " + "; ".join(problems[:6]))
