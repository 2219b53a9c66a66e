"""Check `fhir.rest.version_conflict`: an update with a stale If-Match is refused (412/409)."""

from __future__ import annotations

import pytest

from homolog import CheckError, Evidence, HttpClient, Target, check, fail
from homolog.suites.fhir.api import fhir_get
from homolog.suites.fhir.writes import (
    CreatedLedger,
    WriteParams,
    json_body,
    marked,
    new_marker,
    refused_sample,
    write_target,
)

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


@check("fhir.rest.version_conflict", params=WriteParams)
def version_conflict(http: HttpClient, target: Target, params: WriteParams, evidence: Evidence) -> None:
    """An update whose If-Match names an old version is refused with 412 (or 409); the current one is kept."""
    write = write_target(http, target, params)
    write.require("create", "update")
    if write.versioning != "versioned-update":
        pytest.skip(
            f"the CapabilityStatement declares versioning {write.versioning!r} for {write.resource_type}, "
            "not versioned-update: no version-aware update to verify"
        )
    ledger = CreatedLedger(http, write)
    problems: list[str] = []
    try:
        marker = new_marker()
        created = ledger.post(marked(write.sample, marker))
        if created.status_code >= 300:
            raise refused_sample(write.resource_type, created)
        rid = ledger.id_of(created)
        first = _current_version(http, write.resource_type, rid) if rid else None
        if rid is None or first is None:
            raise CheckError("the created resource has no id or version to compare: cannot test If-Match")
        path = f"/{write.resource_type}/{rid}"
        ok = ledger.put(path, marked(write.sample, marker, id=rid), headers={"If-Match": f'W/"{first}"'})
        if ok.status_code != 200:
            problems.append(f'{ok.describe()} with the current If-Match W/"{first}" answered {ok.status_code}, not 200')
        second = _current_version(http, write.resource_type, rid)
        stale = ledger.put(path, marked(write.sample, marker + "-stale", id=rid), headers={"If-Match": f'W/"{first}"'})
        if stale.status_code not in (409, 412):
            problems.append(
                f'{stale.describe()} with the stale If-Match W/"{first}" answered {stale.status_code}, not 412'
            )
        now = _current_version(http, write.resource_type, rid)
        if second is not None and now != second:
            problems.append(f"the stale update replaced version {second} (now {now})")
    finally:
        ledger.clean_up(evidence)
    evidence.attach_json("fhir-version-conflict.json", {"clause": CLAUSE, "problems": problems})
    if problems:
        fail(f"version-aware update ({CLAUSE.split(':')[0]}): " + "; ".join(problems))
