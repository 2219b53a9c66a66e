"""Check `fhir.errors.invalid_resource`: an invalid resource is refused with an OperationOutcome."""

from __future__ import annotations

import json

from homolog import HttpClient, Needs, check, fail
from homolog.suites.fhir.api import FHIR_API, FHIR_JSON, operation_outcome_problem

# Resources that are invalid whatever the profile: each breaks a base R4 rule.
_INVALID_PATIENTS = {
    "birthDate is not a date": {"resourceType": "Patient", "birthDate": "28/03/1979"},
    "gender outside its required value set": {"resourceType": "Patient", "gender": "homme"},
    "element unknown to FHIR R4": {"resourceType": "Patient", "nomDeNaissance": "DUPONT"},
}


# A server that accepts one of them stores it: the check writes (the run removes what it made).
@check("fhir.errors.invalid_resource", needs=FHIR_API | Needs(writes=True))
def invalid_resource(http: HttpClient) -> None:
    """The server rejects an invalid Patient with 400 or 422 and an OperationOutcome."""
    problems = []
    for label, body in _INVALID_PATIENTS.items():
        resp = http.post(
            "/Patient",
            base="fhir",
            auth="fhir",
            content=json.dumps(body).encode(),
            headers={"Content-Type": FHIR_JSON, "Accept": FHIR_JSON},
        )
        if resp.status_code not in (400, 422):
            problems.append(f"{label}: expected 400 or 422, got {resp.status_code} for {resp.describe()}")
            continue
        why = operation_outcome_problem(resp)
        if why:
            problems.append(f"{label}: {why}")
    if problems:
        fail("; ".join(problems))
