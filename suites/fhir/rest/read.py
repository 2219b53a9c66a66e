"""Check `fhir.rest.read`: the declared test resources are read by type and id."""

from __future__ import annotations

from pydantic import Field

from homolog import HttpClient, Params, Target, check, fail
from homolog.suites.fhir.api import fhir_get, resource_body


class ReadParams(Params):
    """Resource type → key of `data` in the target holding the id to read."""

    resources: dict[str, str] = Field(
        default_factory=lambda: {
            "Patient": "patient_qualified",
            "Practitioner": "practitioner",
            "Organization": "organization",
        }
    )


@check("fhir.rest.read", params=ReadParams)
def read(http: HttpClient, target: Target, params: ReadParams) -> None:
    """The server returns each declared test resource by type and id (read)."""
    problems = []
    for rtype, key in params.resources.items():
        rid = str(target.datum(key))
        resp = fhir_get(http, f"/{rtype}/{rid}")
        if resp.status_code != 200:
            problems.append(f"expected 200, got {resp.status_code} for {resp.describe()}")
            continue
        body = resource_body(resp, rtype)
        if body.get("id") != rid:
            problems.append(f"{resp.describe()} returned id {body.get('id')!r}")
    if problems:
        fail("; ".join(problems))
