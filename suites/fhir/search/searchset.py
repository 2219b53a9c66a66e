"""Check `fhir.search.searchset`: search-type answers a searchset Bundle."""

from __future__ import annotations

from homolog import HttpClient, Params, check, fail
from homolog.suites.fhir.api import FHIR_API, bundle_resources, fhir_get, foreign_urls, resource_body


class SearchsetParams(Params):
    """Resource types whose search-type interaction is exercised."""

    resources: tuple[str, ...] = ("Patient", "Practitioner", "Organization")


@check("fhir.search.searchset", params=SearchsetParams, needs=FHIR_API)
def searchset(http: HttpClient, params: SearchsetParams) -> None:
    """A search on each declared resource type answers a searchset Bundle of that type.

    The Bundle's links and its entries' fullUrls are the server's own addresses: one on a
    host or port the target does not declare (a proxy's internal name, another port)
    sends clients where they cannot go, and fails with the URL.
    """
    problems = []
    for rtype in params.resources:
        resp = fhir_get(http, f"/{rtype}", params={"_count": "5"})
        if resp.status_code != 200:
            problems.append(f"expected 200, got {resp.status_code} for {resp.describe()}")
            continue
        bundle = resource_body(resp, "Bundle")
        if bundle.get("type") != "searchset":
            problems.append(f"{resp.describe()}: Bundle.type is {bundle.get('type')!r}")
        foreign = foreign_urls(http, bundle)
        if foreign:
            problems.append(f"{resp.describe()} advertises {foreign}")
        for res in bundle_resources(bundle):
            if res.get("resourceType") not in (rtype, "OperationOutcome"):
                problems.append(f"{resp.describe()} returned a {res.get('resourceType')}")
                break
    if problems:
        fail("; ".join(problems))
