"""Check `fhir.metadata.capability_statement`: the server publishes a usable CapabilityStatement."""

from __future__ import annotations

from homolog import HttpClient, check, fail
from homolog.suites.fhir.api import FHIR_API, capability

_JSON_FORMATS = {"json", "application/fhir+json", "application/json"}


@check("fhir.metadata.capability_statement", needs=FHIR_API)
def capability_statement(http: HttpClient) -> None:
    """The server publishes a CapabilityStatement for FHIR 4.0.1 in JSON at /metadata."""
    cap = capability(http)
    problems = []
    if cap.get("fhirVersion") != "4.0.1":
        problems.append(f"fhirVersion is {cap.get('fhirVersion')!r}, expected '4.0.1'")
    formats = {str(f).split(";")[0].strip().lower() for f in cap.get("format") or []}
    if not formats & _JSON_FORMATS:
        problems.append(f"format {sorted(formats)} does not include JSON")
    if cap.get("kind") not in ("instance", "capability"):
        problems.append(f"kind is {cap.get('kind')!r}, expected 'instance' or 'capability'")
    rests = [r for r in cap.get("rest") or [] if isinstance(r, dict)]
    if not any(r.get("mode") == "server" for r in rests):
        problems.append("no rest entry with mode 'server'")
    if problems:
        fail("CapabilityStatement: " + "; ".join(problems))
