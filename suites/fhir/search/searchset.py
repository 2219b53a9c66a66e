"""Check `fhir.search.searchset`: search-type answers a searchset Bundle."""

from __future__ import annotations

from homolog import HttpClient, Params, check, fail
from homolog.suites.fhir.api import FHIR_API, bundle_resources, fhir_get, resource_body


class SearchsetParams(Params):
    """Resource types whose search-type interaction is exercised."""

    resources: tuple[str, ...] = ("Patient", "Practitioner", "Organization")


@check("fhir.search.searchset", params=SearchsetParams, needs=FHIR_API)
def searchset(http: HttpClient, params: SearchsetParams) -> None:
    """A search on each declared resource type answers a searchset Bundle of that type."""
    problems = []
    for rtype in params.resources:
        resp = fhir_get(http, f"/{rtype}", params={"_count": "5"})
        if resp.status_code != 200:
            problems.append(f"expected 200, got {resp.status_code} for {resp.describe()}")
            continue
        bundle = resource_body(resp, "Bundle")
        if bundle.get("type") != "searchset":
            problems.append(f"{resp.describe()}: Bundle.type is {bundle.get('type')!r}")
        for res in bundle_resources(bundle):
            if res.get("resourceType") not in (rtype, "OperationOutcome"):
                problems.append(f"{resp.describe()} returned a {res.get('resourceType')}")
                break
    if problems:
        fail("; ".join(problems))
