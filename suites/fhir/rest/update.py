"""Check `fhir.rest.update`: update answers 200 with a new version, and 400 when the ids disagree."""

from __future__ import annotations

from homolog import CheckError, Evidence, HttpClient, Target, check, fail
from homolog.suites.fhir.api import fhir_get
from homolog.suites.fhir.writes import (
    MARKER_SYSTEM,
    CreatedLedger,
    WriteParams,
    json_body,
    marked,
    new_marker,
    refused_sample,
    write_target,
)

CLAUSE = (
    "FHIR R4 http.html#update: an update of an existing resource SHALL be answered 200 OK (201 Created "
    "only when the resource was created), a versioned server gives a new versionId (ETag); a body whose "
    "id disagrees with the URL SHALL be answered 400 Bad Request"
)


def _version(etag: str | None, body: object) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("meta"), dict) and body["meta"].get("versionId"):
        return str(body["meta"]["versionId"])
    return etag.removeprefix("W/").strip('"') if etag else None


@check("fhir.rest.update", params=WriteParams)
def update(http: HttpClient, target: Target, params: WriteParams, evidence: Evidence) -> None:
    """Updating an existing resource answers 200 with a new version; a mismatched id answers 400."""
    write = write_target(http, target, params)
    write.require("create", "update")
    ledger = CreatedLedger(http, write)
    problems: list[str] = []
    try:
        marker = new_marker()
        created = ledger.post(marked(write.sample, marker))
        if created.status_code >= 300:
            raise refused_sample(write.resource_type, created)
        rid = ledger.id_of(created)
        if rid is None:
            raise CheckError(f"{created.describe()} named no id for the created resource: nothing to update")
        before = _version(created.headers.get("etag"), json_body(created))
        changed = marked(write.sample, marker + "-updated", id=rid)
        resp = ledger.put(f"/{write.resource_type}/{rid}", changed)
        if resp.status_code >= 300:
            problems.append(f"{resp.describe()} answered {resp.status_code} to a valid update")
        else:
            if resp.status_code != 200:
                problems.append(
                    f"{resp.describe()} answered {resp.status_code}: an existing resource is updated with 200 OK"
                )
            after = _version(resp.headers.get("etag"), json_body(resp))
            if write.versioning != "no-version" and (after is None or after == before):
                problems.append(f"the update did not give a new version (before {before!r}, after {after!r})")
            read = json_body(fhir_get(http, f"/{write.resource_type}/{rid}"))
            idents = read.get("identifier") if isinstance(read, dict) else None
            if not (
                isinstance(idents, list)
                and any(
                    isinstance(i, dict) and i.get("system") == MARKER_SYSTEM and i.get("value") == marker + "-updated"
                    for i in idents
                )
            ):
                problems.append("reading the resource back does not show the update")
        other = marked(write.sample, marker, id=f"{rid}x")
        mismatch = ledger.put(f"/{write.resource_type}/{rid}", other)
        if mismatch.status_code != 400:
            problems.append(
                f"a body with id {rid}x sent to {mismatch.describe()} answered {mismatch.status_code}, not 400"
            )
    finally:
        ledger.clean_up(evidence)
    evidence.attach_json("fhir-update.json", {"clause": CLAUSE, "problems": problems})
    if problems:
        fail(f"update ({CLAUSE.split(':')[0]}): " + "; ".join(problems))
