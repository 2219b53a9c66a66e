"""Check `fhir.errors.not_found`: an unknown resource id is a 404 with an OperationOutcome."""

from __future__ import annotations

import uuid

from homolog import HttpClient, Params, check, fail
from homolog.suites.fhir.api import FHIR_API, fhir_get, operation_outcome_problem


class NotFoundParams(Params):
    """Resource types probed with an id that does not exist."""

    resources: tuple[str, ...] = ("Patient",)


@check("fhir.errors.not_found", params=NotFoundParams, needs=FHIR_API)
def not_found(http: HttpClient, params: NotFoundParams) -> None:
    """The server answers 404 with an OperationOutcome for an unknown resource id."""
    problems = []
    for rtype in params.resources:
        rid = f"homolog-missing-{uuid.uuid4().hex[:12]}"
        resp = fhir_get(http, f"/{rtype}/{rid}")
        if resp.status_code != 404:
            problems.append(f"expected 404, got {resp.status_code} for {resp.describe()}")
            continue
        why = operation_outcome_problem(resp)
        if why:
            problems.append(why)
    if problems:
        fail("; ".join(problems))
