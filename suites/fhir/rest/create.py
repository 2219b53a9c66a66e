"""Check `fhir.rest.create`: create answers 201 with a Location naming the new id and version."""

from __future__ import annotations

from homolog import Evidence, HttpClient, Target, check, fail
from homolog.suites.fhir.api import fhir_get
from homolog.suites.fhir.writes import (
    MARKER_SYSTEM,
    CreatedLedger,
    WriteParams,
    json_body,
    location_parts,
    marked,
    new_marker,
    refused_sample,
    write_target,
)

CLAUSE = (
    "FHIR R4 http.html#create: the server SHALL return 201 Created and a Location header "
    "[base]/[type]/[id]/_history/[vid] naming the new logical id and version id; it SHOULD return an ETag "
    'with the versionId (http.html#versioning: a weak ETag W/"[vid]")'
)


@check("fhir.rest.create", params=WriteParams)
def create(http: HttpClient, target: Target, params: WriteParams, evidence: Evidence) -> None:
    """A created resource is answered 201 Created with a Location carrying its id and version (and ETag)."""
    write = write_target(http, target, params)
    write.require("create")
    ledger = CreatedLedger(http, write)
    problems: list[str] = []
    try:
        marker = new_marker()
        resp = ledger.post(marked(write.sample, marker))
        if resp.status_code >= 300:
            raise refused_sample(write.resource_type, resp)
        versioned = write.versioning != "no-version"
        if resp.status_code != 201:
            problems.append(f"{resp.describe()} answered {resp.status_code}, not 201 Created")
        parts = location_parts(resp)
        if parts is None:
            problems.append(
                f"no Location [base]/{write.resource_type}/[id]/_history/[vid] (got {resp.headers.get('location')!r})"
            )
        elif versioned and parts[2] is None:
            problems.append(
                f"Location {resp.headers.get('location')} has no /_history/[vid] although "
                f"{write.resource_type} is versioned"
            )
        etag = resp.headers.get("etag")
        if write.versioning == "versioned-update" and etag is None:
            problems.append("no ETag although the CapabilityStatement declares version-aware updates")
        if (
            etag is not None
            and parts is not None
            and parts[2] is not None
            and etag.removeprefix("W/").strip('"') != parts[2]
        ):
            problems.append(f"ETag {etag} does not name version {parts[2]} of the Location")
        rid = ledger.id_of(resp)
        if rid is None:
            problems.append("neither the Location nor the body names the new resource's id")
        else:
            read = fhir_get(http, f"/{write.resource_type}/{rid}")
            body = json_body(read)
            idents = body.get("identifier") if isinstance(body, dict) else None
            found = isinstance(idents, list) and any(
                isinstance(i, dict) and i.get("system") == MARKER_SYSTEM and i.get("value") == marker for i in idents
            )
            if read.status_code != 200 or not found:
                problems.append(f"the created resource cannot be read back ({read.describe()} -> {read.status_code})")
    finally:
        ledger.clean_up(evidence)
    evidence.attach_json("fhir-create.json", {"clause": CLAUSE, "problems": problems})
    if problems:
        fail(f"create ({CLAUSE.split(':')[0]}): " + "; ".join(problems))
