"""Content negotiation: the server answers FHIR JSON when asked for it."""

from __future__ import annotations

from homolog import HttpClient, Needs, Target, check, fail
from homolog.suites.fhir.api import FHIR_API, FHIR_JSON, fhir_get, resource_body


@check("fhir.format.fhir_json", needs=FHIR_API | Needs(data=("patient_qualified",)))
def fhir_json(http: HttpClient, target: Target) -> None:
    """The server answers application/fhir+json to Accept and to _format requests."""
    rid = str(target.datum("patient_qualified"))
    problems = []
    attempts = [
        ("Accept: application/fhir+json", {}, FHIR_JSON),
        ("_format=application/fhir+json", {"_format": FHIR_JSON}, None),
        ("_format=json", {"_format": "json"}, None),
    ]
    for label, query, accept in attempts:
        resp = fhir_get(http, f"/Patient/{rid}", params=query, accept=accept)
        if resp.status_code != 200:
            problems.append(f"{label}: expected 200, got {resp.status_code} for {resp.describe()}")
            continue
        ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != FHIR_JSON:
            problems.append(f"{label}: content type {ctype or 'none'}, expected {FHIR_JSON}")
            continue
        resource_body(resp, "Patient")
    if problems:
        fail("; ".join(problems))
