"""Check `imaging.qido.percent_decoding`: QIDO-RS decodes percent-encoded query values."""

from __future__ import annotations

from urllib.parse import quote

from homolog import CheckError, Evidence, HttpClient, Target, TestData, check, fail
from homolog.suites.imaging.dicomweb import STUDY, attribute, get, results, study_record, study_uid, uids

CLAUSE = (
    "DICOM PS3.18 §8.3.1 (query parameter values are URI query components: characters outside the "
    "unreserved set are percent-encoded) with RFC 3986 §2.1 and §2.4 (percent-encoded octets are decoded "
    "before the value is used); PS3.18 §8.3.4.1 attribute matching on the decoded value"
)


def _encoded(value: str) -> str:
    """Every reserved character encoded; at least one character encoded, so decoding is needed."""
    out = quote(value, safe="")
    if out == value and value:
        out = f"%{ord(value[0]):02X}" + quote(value[1:], safe="")
    return out


@check("imaging.qido.percent_decoding", needs=STUDY)
def percent_decoding(http: HttpClient, target: Target, evidence: Evidence, test_data: TestData) -> None:
    """A study is found by patient name and id sent percent-encoded (Test%5EAlice finds Test^Alice)."""
    uid = study_uid(http, target, test_data)
    record = study_record(http, target, uid)
    asked: list[dict[str, str]] = []
    problems: list[str] = []
    for keyword in ("PatientName", "PatientID"):
        values = attribute(record, keyword)
        if not values:
            continue
        value = str(values[0])
        query = f"{keyword}={_encoded(value)}"
        resp = get(http, target, "/studies", query=query)
        found = uids(results(resp))
        asked.append({"query": query, "value": value, "status": str(resp.status_code), "found": str(uid in found)})
        if uid not in found:
            problems.append(f"{resp.describe()} does not find study {uid} whose {keyword} is {value!r}")
    if not asked:
        raise CheckError(f"study {uid} has neither PatientName nor PatientID to search by")
    evidence.attach_json("qido-percent-decoding.json", {"clause": CLAUSE, "queries": asked})
    if problems:
        fail(f"percent-encoded values are not decoded ({CLAUSE.split(' (')[0]}): " + "; ".join(problems))
