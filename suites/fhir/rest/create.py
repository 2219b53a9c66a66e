"""Check `fhir.rest.create`: create answers 201 with a Location naming the new id and version."""

from __future__ import annotations

from homolog import Evidence, HttpClient, Needs, Target, check
from homolog.suites.fhir.api import FHIR_API, fhir_get
from homolog.suites.fhir.writes import MARKER_SYSTEM, WriteParams, json_body, location_parts, new_marker, writing

CLAUSE = (
    "FHIR R4 http.html#create: the server SHALL return 201 Created and a Location header "
    "[base]/[type]/[id]/_history/[vid] naming the new logical id and version id; it SHOULD return an ETag "
    'with the versionId (http.html#versioning: a weak ETag W/"[vid]")'
)


@check("fhir.rest.create", params=WriteParams, needs=FHIR_API | Needs(writes=True))
def create(http: HttpClient, target: Target, params: WriteParams, evidence: Evidence) -> None:
    """A created resource is answered 201 Created with a Location carrying its id and version (and ETag)."""
    with writing(
        http, target, params, evidence, needs=("create",), clause=CLAUSE, label="create (FHIR R4 http.html#create)"
    ) as w:
        marker = new_marker()
        resp = w.create(marker)
        rtype = w.write.resource_type
        if resp.status_code != 201:
            w.problems.append(f"{resp.describe()} answered {resp.status_code}, not 201 Created")
        parts = location_parts(resp)
        location = resp.headers.get("location")
        if parts is None:
            w.problems.append(f"no Location [base]/{rtype}/[id]/_history/[vid] (got {location!r})")
        elif w.write.versioning != "no-version" and parts[2] is None:
            w.problems.append(f"Location {location} has no /_history/[vid] although {rtype} is versioned")
        etag = resp.headers.get("etag")
        if w.write.versioning == "versioned-update" and etag is None:
            w.problems.append("no ETag although the CapabilityStatement declares version-aware updates")
        vid = parts[2] if parts is not None else None
        if etag is not None and vid is not None and etag.removeprefix("W/").strip('"') != vid:
            w.problems.append(f"ETag {etag} does not name version {vid} of the Location")
        rid = w.ledger.id_of(resp)
        if rid is None:
            w.problems.append("neither the Location nor the body names the new resource's id")
            return
        read = fhir_get(http, f"/{rtype}/{rid}")
        body = json_body(read)
        idents = body.get("identifier") if isinstance(body, dict) else None
        if read.status_code != 200 or not (
            isinstance(idents, list)
            and any(
                isinstance(i, dict) and i.get("system") == MARKER_SYSTEM and i.get("value") == marker for i in idents
            )
        ):
            w.problems.append(f"the created resource cannot be read back ({read.describe()} -> {read.status_code})")
