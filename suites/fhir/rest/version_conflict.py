"""Check `fhir.rest.version_conflict`: an update with a stale If-Match is refused (412/409)."""

from __future__ import annotations

from homolog import CheckError, Evidence, HttpClient, Needs, Target, check
from homolog.suites.fhir.api import FHIR_API, fhir_get
from homolog.suites.fhir.writes import WriteParams, json_body, marked, new_marker, writing

CLAUSE = (
    "FHIR R4 http.html#concurrency (Managing Resource Contention): with If-Match naming the version the "
    "client holds, the server SHALL refuse the update when that is not the current version, with 412 "
    "Precondition Failed (409 Conflict is also used for version conflicts, http.html#update)"
)


def _current_version(http: HttpClient, rtype: str, rid: str) -> str | None:
    resp = fhir_get(http, f"/{rtype}/{rid}")
    body = json_body(resp)
    meta = body.get("meta") if isinstance(body, dict) else None
    if isinstance(meta, dict) and meta.get("versionId"):
        return str(meta["versionId"])
    etag = resp.headers.get("etag")
    return etag.removeprefix("W/").strip('"') if etag else None


@check("fhir.rest.version_conflict", params=WriteParams, needs=FHIR_API | Needs(writes=True))
def version_conflict(http: HttpClient, target: Target, params: WriteParams, evidence: Evidence) -> None:
    """An update whose If-Match names an old version is refused with 412 (or 409); the current one is kept."""
    with writing(
        http,
        target,
        params,
        evidence,
        needs=("create", "update"),
        clause=CLAUSE,
        label="version-aware update (FHIR R4 http.html#concurrency)",
    ) as w:
        w.write.require_versioned_update()
        marker = new_marker()
        rid = w.created_id(w.create(marker))
        rtype, sample = w.write.resource_type, w.write.sample
        first = _current_version(http, rtype, rid)
        if first is None:
            raise CheckError("the created resource has no version to compare: cannot test If-Match")
        path = f"/{rtype}/{rid}"
        ok = w.ledger.put(path, marked(sample, marker, id=rid), headers={"If-Match": f'W/"{first}"'})
        if not 200 <= ok.status_code < 300:  # 200 vs 201 is fhir.rest.update's business
            w.problems.append(f'{ok.describe()} with the current If-Match W/"{first}" answered {ok.status_code}')
        second = _current_version(http, rtype, rid)
        stale = w.ledger.put(path, marked(sample, marker + "-stale", id=rid), headers={"If-Match": f'W/"{first}"'})
        if stale.status_code not in (409, 412):
            w.problems.append(
                f'{stale.describe()} with the stale If-Match W/"{first}" answered {stale.status_code}, not 412'
            )
        now = _current_version(http, rtype, rid)
        if second is not None and now != second:
            w.problems.append(f"the stale update replaced version {second} (now {now})")
