"""Check `imaging.errors.status_codes`: DICOMweb failures carry the status codes PS3.18 gives them."""

from __future__ import annotations

from pydicom.uid import generate_uid

from homolog import Evidence, HttpClient, Target, TestData, check, fail
from homolog.suites.imaging.dicomweb import BASE, STUDY, get, study_uid

CLAUSES = {
    "400": "DICOM PS3.18 §8.3: a supported query parameter with an invalid value is answered 400 (Bad Request)",
    "404": "DICOM PS3.18 §10.4.3 (Table 10.4.3-1): a resource the origin server does not have is 404 (Not Found)",
    "406": "DICOM PS3.18 §10.4.3 (Table 10.4.3-1): no acceptable media type is 406 (Not Acceptable)",
    "415": "DICOM PS3.18 §10.5.3 (Table 10.5.3-1): a Store request in a media type the server does not accept "
    "is 415 (Unsupported Media Type)",
}


@check("imaging.errors.status_codes", needs=STUDY)
def status_codes(http: HttpClient, target: Target, evidence: Evidence, test_data: TestData) -> None:
    """Unknown studies answer 404, invalid limits 400, unacceptable media types 406, wrong store bodies 415."""
    uid = study_uid(http, target, test_data)
    unknown = str(generate_uid(prefix="2.25."))
    probes = [
        ("404", get(http, target, f"/studies/{unknown}/metadata"), (404, 410)),
        ("400", get(http, target, "/studies", query="limit=homolog"), (400,)),
        ("406", get(http, target, f"/studies/{uid}", accept="application/x-homolog-unsupported"), (406,)),
        (
            "415",
            http.request(
                "POST",
                "/studies",
                base=BASE,
                auth=BASE if target.auth(BASE) is not None else None,
                content=b"{}",
                headers={"Content-Type": "application/json", "Accept": "application/dicom+json"},
            ),
            (415,),
        ),
    ]
    problems = [
        f"{resp.describe()} answered {resp.status_code}, not {' or '.join(map(str, ok))} ({CLAUSES[key]})"
        for key, resp, ok in probes
        if resp.status_code not in ok
    ]
    evidence.attach_json(
        "dicomweb-errors.json",
        {
            "clauses": CLAUSES,
            "probes": [{"expected": k, "request": r.describe(), "status": r.status_code} for k, r, _ in probes],
        },
    )
    if problems:
        fail("; ".join(problems))
