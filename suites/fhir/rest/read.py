"""Check `fhir.rest.read`: the declared test resources are read by type and id."""

from __future__ import annotations

from pydantic import Field

from homolog import HttpClient, Needs, Params, TestData, check, fail
from homolog.suites.fhir.api import FHIR_API, fhir_get, resource_body
from homolog.suites.fhir.provision import CREATABLE, data_id


class ReadParams(Params):
    """Resource type → key of `data` in the target holding the id to read."""

    resources: dict[str, str] = Field(
        default_factory=lambda: {
            "Patient": "patient_qualified",
            "Practitioner": "practitioner",
            "Organization": "organization",
        }
    )


def _needs(params: ReadParams) -> Needs:
    keys = tuple(params.resources.values())
    # a practitioner or an organization the target does not name is made by the run (data_policy: create)
    return FHIR_API | Needs(data=keys, creates=tuple(k for k in keys if k in CREATABLE))


@check("fhir.rest.read", params=ReadParams, needs=_needs)
def read(http: HttpClient, test_data: TestData, params: ReadParams) -> None:
    """The server returns each declared test resource by type and id (read)."""
    problems = []
    for rtype, key in params.resources.items():
        rid = data_id(http, test_data, key)
        resp = fhir_get(http, f"/{rtype}/{rid}")
        if resp.status_code != 200:
            problems.append(f"expected 200, got {resp.status_code} for {resp.describe()}")
            continue
        body = resource_body(resp, rtype)
        if body.get("id") != rid:
            problems.append(f"{resp.describe()} returned id {body.get('id')!r}")
    if problems:
        fail("; ".join(problems))
