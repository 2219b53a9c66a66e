"""Check `fhir.rest.delete`: delete answers 200/202/204 and the resource is then gone."""

from __future__ import annotations

from homolog import CheckError, Evidence, HttpClient, Target, check, fail
from homolog.suites.fhir.api import fhir_get
from homolog.suites.fhir.writes import CreatedLedger, WriteParams, marked, new_marker, refused_sample, write_target

CLAUSE = (
    "FHIR R4 http.html#delete: a successful delete is answered 200 OK, 204 No Content or 202 Accepted; a "
    "later read answers 410 Gone (404 Not Found where deletions are not tracked, http.html#read); deleting "
    "what is already gone is not an error (200/204)"
)


@check("fhir.rest.delete", params=WriteParams)
def delete(http: HttpClient, target: Target, params: WriteParams, evidence: Evidence) -> None:
    """A deleted resource is answered 200, 202 or 204, and a later read answers 410 Gone (or 404)."""
    write = write_target(http, target, params)
    write.require("create", "delete")
    ledger = CreatedLedger(http, write)
    problems: list[str] = []
    try:
        created = ledger.post(marked(write.sample, new_marker()))
        if created.status_code >= 300:
            raise refused_sample(write.resource_type, created)
        rid = ledger.id_of(created)
        if rid is None:
            raise CheckError(f"{created.describe()} named no id for the created resource: nothing to delete")
        path = f"/{write.resource_type}/{rid}"
        resp = http.request("DELETE", path, base="fhir", auth="fhir")
        if resp.status_code not in (200, 202, 204):
            problems.append(f"{resp.describe()} answered {resp.status_code}, not 200, 202 or 204")
        read = fhir_get(http, path)
        if read.status_code not in (404, 410):
            problems.append(f"after the delete, {read.describe()} answered {read.status_code}, not 410 Gone")
        again = http.request("DELETE", path, base="fhir", auth="fhir")
        if again.status_code not in (200, 202, 204, 404, 410):
            problems.append(f"deleting it again answered {again.status_code}")
    finally:
        ledger.clean_up(evidence)
    evidence.attach_json("fhir-delete.json", {"clause": CLAUSE, "problems": problems})
    if problems:
        fail(f"delete ({CLAUSE.split(':')[0]}): " + "; ".join(problems))
