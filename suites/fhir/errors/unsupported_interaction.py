"""Check `fhir.errors.unsupported_interaction`: an interaction a type does not declare is refused properly."""

from __future__ import annotations

import json
import secrets

import pytest

from homolog import Evidence, HttpClient, Needs, check, fail
from homolog.suites.fhir.api import FHIR_API, FHIR_JSON, capability, operation_outcome_problem

CLAUSE = (
    "FHIR R4 http.html: servers SHALL declare in the CapabilityStatement which interactions they support; "
    "an interaction a resource type does not support is refused - 405 Method Not Allowed (RFC 9110 §15.5.6, "
    "with Allow), 404 or 400 - with an OperationOutcome, never accepted"
)


@check("fhir.errors.unsupported_interaction", needs=FHIR_API | Needs(writes=True))
def unsupported_interaction(http: HttpClient, evidence: Evidence) -> None:
    """Deleting (or updating) a type that does not declare it is refused with 405/404/400 and an OperationOutcome."""
    probe: tuple[str, str, dict[str, str] | None] | None = None
    for rest in capability(http).get("rest") or []:
        for res in (rest.get("resource") or []) if isinstance(rest, dict) else []:
            if not isinstance(res, dict) or not isinstance(res.get("type"), str):
                continue
            have = {i.get("code") for i in res.get("interaction") or [] if isinstance(i, dict)}
            rid = f"homolog-missing-{secrets.token_hex(6)}"
            if "delete" not in have:
                probe = ("DELETE", f"/{res['type']}/{rid}", None)
            elif "update" not in have:
                probe = ("PUT", f"/{res['type']}/{rid}", {"resourceType": res["type"], "id": rid})
            if probe:
                break
        if probe:
            break
    if probe is None:
        pytest.skip("every declared resource type supports delete and update: no undeclared interaction to ask")
    method, path, body = probe
    resp = http.request(
        method,
        path,
        base="fhir",
        auth="fhir",
        content=None if body is None else json.dumps(body).encode(),
        headers={"Accept": FHIR_JSON, **({"Content-Type": FHIR_JSON} if body is not None else {})},
    )
    problems = []
    if resp.status_code not in (400, 404, 405):
        problems.append(f"{resp.describe()} (not declared) answered {resp.status_code}, not 405")
    else:
        if (why := operation_outcome_problem(resp)) is not None:
            problems.append(why)
        if resp.status_code == 405 and not resp.header_values("allow"):
            problems.append(f"{resp.describe()} answered 405 without Allow")
    evidence.attach_json(
        "fhir-unsupported-interaction.json", {"clause": CLAUSE, "probe": f"{method} {path}", "problems": problems}
    )
    if problems:
        fail("undeclared interaction not refused properly: " + "; ".join(problems))
