"""Check `fhir.errors.unknown_type`: an unknown or unsupported resource type is a 404 (or 400) OperationOutcome."""

from __future__ import annotations

from homolog import Evidence, HttpClient, check, fail
from homolog.suites.fhir.api import FHIR_API, capability, fhir_get, operation_outcome_problem

CLAUSE = (
    "FHIR R4 http.html (HTTP Status Codes, Rejecting Updates): 404 Not Found - resource type not supported; "
    "400 Bad Request - the request cannot be parsed; errors SHOULD carry an OperationOutcome "
    "(http.html#return: in case of failure servers SHOULD always return an OperationOutcome)"
)
# R4 resource types a DPI seldom serves; the first one the server does not declare is asked.
_R4_TYPES = ("Substance", "Specimen", "Device", "Medication", "ImagingStudy", "Questionnaire", "Library", "Measure")


@check("fhir.errors.unknown_type", needs=FHIR_API)
def unknown_type(http: HttpClient, evidence: Evidence) -> None:
    """A search on a type that does not exist, or that the server does not support, is a 404 OperationOutcome."""
    declared = {
        str(r.get("type"))
        for rest in capability(http).get("rest") or []
        if isinstance(rest, dict)
        for r in rest.get("resource") or []
        if isinstance(r, dict)
    }
    probes = ["HomologNoSuchType", *[t for t in _R4_TYPES if t not in declared][:1]]
    problems: list[str] = []
    for rtype in probes:
        resp = fhir_get(http, f"/{rtype}")
        if resp.status_code not in (400, 404):
            declared_note = "" if rtype == probes[0] else f" although the CapabilityStatement does not declare {rtype}"
            problems.append(f"{resp.describe()} answered {resp.status_code}{declared_note}, not 404 (or 400)")
        elif (why := operation_outcome_problem(resp)) is not None:
            problems.append(why)
    evidence.attach_json("fhir-unknown-type.json", {"clause": CLAUSE, "probes": probes, "problems": problems})
    if problems:
        fail(f"unknown resource types ({CLAUSE.split(' (')[0]}): " + "; ".join(problems))
