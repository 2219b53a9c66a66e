"""Check `fhir.rest.update`: update answers 200 with a new version, and 400 when the ids disagree."""

from __future__ import annotations

from typing import Any

from homolog import Evidence, HttpClient, Needs, Target, check
from homolog.suites.fhir.api import FHIR_API, fhir_get
from homolog.suites.fhir.writes import MARKER_SYSTEM, WriteParams, json_body, marked, new_marker, writing

CLAUSE = (
    "FHIR R4 http.html#update: an update of an existing resource SHALL be answered 200 OK (201 Created "
    "only when the resource was created), a versioned server gives a new versionId (ETag); a body whose "
    "id disagrees with the URL SHALL be answered 400 Bad Request"
)


def _version(etag: str | None, body: Any) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("meta"), dict) and body["meta"].get("versionId"):
        return str(body["meta"]["versionId"])
    return etag.removeprefix("W/").strip('"') if etag else None


@check("fhir.rest.update", params=WriteParams, needs=FHIR_API | Needs(writes=True))
def update(http: HttpClient, target: Target, params: WriteParams, evidence: Evidence) -> None:
    """Updating an existing resource answers 200 with a new version; a mismatched id answers 400."""
    with writing(
        http,
        target,
        params,
        evidence,
        needs=("create", "update"),
        clause=CLAUSE,
        label="update (FHIR R4 http.html#update)",
    ) as w:
        marker = new_marker()
        created = w.create(marker)
        rid = w.created_id(created)
        rtype, sample = w.write.resource_type, w.write.sample
        before = _version(created.headers.get("etag"), json_body(created))
        resp = w.ledger.put(f"/{rtype}/{rid}", marked(sample, marker + "-updated", id=rid))
        if resp.status_code >= 300:
            w.problems.append(f"{resp.describe()} answered {resp.status_code} to a valid update")
        else:
            if resp.status_code != 200:
                w.problems.append(
                    f"{resp.describe()} answered {resp.status_code}: an existing resource is updated with 200 OK"
                )
            after = _version(resp.headers.get("etag"), json_body(resp))
            if w.write.versioning != "no-version" and (after is None or after == before):
                w.problems.append(f"the update did not give a new version (before {before!r}, after {after!r})")
            read = json_body(fhir_get(http, f"/{rtype}/{rid}"))
            idents = read.get("identifier") if isinstance(read, dict) else None
            if not (
                isinstance(idents, list)
                and any(
                    isinstance(i, dict) and i.get("system") == MARKER_SYSTEM and i.get("value") == marker + "-updated"
                    for i in idents
                )
            ):
                w.problems.append("reading the resource back does not show the update")
        mismatch = w.ledger.put(f"/{rtype}/{rid}", marked(sample, marker, id=f"{rid}x"))
        if mismatch.status_code != 400:
            w.problems.append(
                f"a body with id {rid}x sent to {mismatch.describe()} answered {mismatch.status_code}, not 400"
            )
