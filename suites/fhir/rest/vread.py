"""Check `fhir.rest.vread`: a stated version of a resource is read with its versionId and ETag."""

from __future__ import annotations

from homolog import HttpClient, Needs, Params, Target, check, fail
from homolog.suites.fhir.api import FHIR_API, fhir_get, resource_body


class VreadParams(Params):
    """Resource type and `data` key of the resource whose version is read."""

    resource: str = "Patient"
    data_key: str = "patient_qualified"


@check("fhir.rest.vread", params=VreadParams, needs=lambda p: FHIR_API | Needs(data=(p.data_key,)))
def vread(http: HttpClient, target: Target, params: VreadParams) -> None:
    """The server returns a stated version of a resource (vread) with its versionId and ETag."""
    rid = str(target.datum(params.data_key))
    resp = fhir_get(http, f"/{params.resource}/{rid}")
    if resp.status_code != 200:
        fail(f"expected 200, got {resp.status_code} for {resp.describe()}")
    current = resource_body(resp, params.resource)
    vid = (current.get("meta") or {}).get("versionId")
    if not isinstance(vid, str) or not vid:
        fail(f"{resp.describe()}: the resource has no meta.versionId, so no version can be read")
    resp = fhir_get(http, f"/{params.resource}/{rid}/_history/{vid}")
    if resp.status_code != 200:
        fail(f"expected 200, got {resp.status_code} for {resp.describe()}")
    version = resource_body(resp, params.resource)
    problems = []
    if version.get("id") != rid:
        problems.append(f"id is {version.get('id')!r}, expected {rid!r}")
    got = (version.get("meta") or {}).get("versionId")
    if got != vid:
        problems.append(f"meta.versionId is {got!r}, expected {vid!r}")
    etag = resp.headers.get("etag")
    if etag is not None and etag.strip() not in (f'W/"{vid}"', f'"{vid}"'):
        problems.append(f"ETag {etag!r} does not carry version {vid}")
    missing = fhir_get(http, f"/{params.resource}/{rid}/_history/homolog-no-such-version")
    if missing.status_code != 404:
        problems.append(f"an unknown version answered {missing.status_code}, expected 404 ({missing.describe()})")
    if problems:
        fail(f"{resp.describe()}: " + "; ".join(problems))
