"""Check `imaging.qido.paging`: QIDO-RS honours limit and offset."""

from __future__ import annotations

from homolog import CheckError, Evidence, HttpClient, Target, TestData, check, fail
from homolog.suites.imaging.dicomweb import STUDY, results, search, study_uid, uids

CLAUSE = (
    "DICOM PS3.18 §8.3.4.4 (limit is the maximum number of results the origin server returns, offset the "
    "number of results it skips; both are parameters every origin server supports)"
)


@check("imaging.qido.paging", needs=STUDY)
def paging(http: HttpClient, target: Target, evidence: Evidence, test_data: TestData) -> None:
    """Search honours limit and offset: limit=1 gives one result, offset skips, past the end gives none."""
    uid = study_uid(http, target, test_data)
    path, key = "/studies", "StudyInstanceUID"
    everything = results(search(http, target, path, []))
    if len(everything) < 2:
        path, key = f"/studies/{uid}/instances", "SOPInstanceUID"
        everything = results(search(http, target, path, []))
    if len(everything) < 2:
        raise CheckError("fewer than two studies, and fewer than two instances in the named study: nothing to page")
    problems: list[str] = []
    first = search(http, target, path, [("limit", "1")])
    second = search(http, target, path, [("limit", "1"), ("offset", "1")])
    beyond = search(http, target, path, [("offset", str(len(everything)))])
    page1, page2, rest = uids(results(first), key), uids(results(second), key), results(beyond)
    if len(page1) != 1:
        problems.append(f"{first.describe()} returned {len(page1)} results, not 1")
    if len(page2) != 1:
        problems.append(f"{second.describe()} returned {len(page2)} results, not 1")
    elif page1 and page1 == page2:
        problems.append(f"offset=1 returned the same result as offset 0 ({page1[0]})")
    if rest:
        problems.append(f"{beyond.describe()} returned {len(rest)} results past the last of {len(everything)}")
    evidence.attach_json(
        "qido-paging.json",
        {"clause": CLAUSE, "resource": path, "total": len(everything), "limit1": page1, "offset1": page2},
    )
    if problems:
        fail(f"limit/offset not honoured ({CLAUSE.split(' (')[0]}): " + "; ".join(problems))
