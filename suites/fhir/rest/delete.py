"""Check `fhir.rest.delete`: delete answers 200/202/204 and the resource is then gone."""

from __future__ import annotations

from homolog import Evidence, HttpClient, Needs, Target, check
from homolog.suites.fhir.api import FHIR_API, fhir_get
from homolog.suites.fhir.writes import WriteParams, new_marker, writing

CLAUSE = (
    "FHIR R4 http.html#delete: a successful delete is answered 200 OK, 204 No Content or 202 Accepted; a "
    "later read answers 410 Gone (404 Not Found where deletions are not tracked, http.html#read); deleting "
    "what is already gone is not an error (200/204)"
)


@check("fhir.rest.delete", params=WriteParams, needs=FHIR_API | Needs(writes=True))
def delete(http: HttpClient, target: Target, params: WriteParams, evidence: Evidence) -> None:
    """A deleted resource is answered 200, 202 or 204, and a later read answers 410 Gone (or 404)."""
    with writing(
        http,
        target,
        params,
        evidence,
        needs=("create", "delete"),
        clause=CLAUSE,
        label="delete (FHIR R4 http.html#delete)",
    ) as w:
        path = f"/{w.write.resource_type}/{w.created_id(w.create(new_marker()))}"
        resp = http.request("DELETE", path, base="fhir", auth="fhir")
        if resp.status_code not in (200, 202, 204):
            w.problems.append(f"{resp.describe()} answered {resp.status_code}, not 200, 202 or 204")
        read = fhir_get(http, path)
        if read.status_code not in (404, 410):
            w.problems.append(f"after the delete, {read.describe()} answered {read.status_code}, not 410 Gone")
        again = http.request("DELETE", path, base="fhir", auth="fhir")
        if again.status_code not in (200, 202, 204, 404, 410):
            w.problems.append(f"deleting it again answered {again.status_code}")
