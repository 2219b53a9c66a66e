"""Paging: _count limits a page and the next links walk through every result."""

from __future__ import annotations

from collections import Counter
from typing import Any

from homolog import CheckError, HttpClient, Params, check, fail
from homolog.suites.fhir.api import FHIR_API, bundle_resources, fhir_get, iter_pages, resource_body

#: Walks made when the results move between two walks (another user writing meanwhile).
MAX_WALKS = 3


class PagingParams(Params):
    """Resource type searched, page size asked for, and a bound on pages followed."""

    resource: str = "Patient"
    count: int = 2
    max_pages: int = 100


def _walk(http: HttpClient, params: PagingParams) -> tuple[Any, int | None, list[str], int, list[str]]:
    """One walk from the first page: (first response, total, ids in order, pages, page-size problems)."""
    resp = fhir_get(http, f"/{params.resource}", params={"_count": str(params.count)})
    if resp.status_code != 200:
        fail(f"expected 200, got {resp.status_code} for {resp.describe()}")
    first = resource_body(resp, "Bundle")
    total = first.get("total") if isinstance(first.get("total"), int) else None
    ids: list[str] = []
    oversized = []
    pages = 0
    for page, bundle in iter_pages(http, first, max_pages=params.max_pages):
        pages = page
        found = [r for r in bundle_resources(bundle) if r.get("resourceType") == params.resource]
        if len(found) > params.count:
            oversized.append(f"page {page} holds {len(found)} resources for _count={params.count}")
        ids += [f"{r.get('id')}" for r in found]
    return resp, total, ids, pages, oversized


@check("fhir.search.paging", params=PagingParams, needs=FHIR_API)
def paging(http: HttpClient, params: PagingParams) -> None:
    """Search honours _count and its next links lead through every result exactly once.

    A next link on a host or port the target does not declare fails with its URL, and
    is not followed. A resource seen on two pages, or pages that hold another number of
    resources than `total`, fail when two walks in a row find them over the same results
    (the same `total`, or without one the same resources), even in another order: an
    unstable order is a paging defect too. Results whose count moved between two walks
    were being written meanwhile (another user, another check) and prove nothing about
    paging; when every one of `MAX_WALKS` walks sees other results, the check cannot decide.
    """
    previous: object = None
    for _ in range(MAX_WALKS):
        resp, total, ids, pages, problems = _walk(http, params)
        definite = bool(problems)  # a page larger than _count is wrong whatever else happens
        if pages == 1 and max(total or 0, len(ids)) > params.count:
            problems.append(f"{max(total or 0, len(ids))} results but the first page has no next link")
            definite = True
        elif pages == 1 and not problems:
            raise CheckError(
                f"{len(ids)} {params.resource} resource(s) and no next link: not "
                f"enough data to test paging with _count={params.count}"
            )
        # counted once: a SUT may send 20 pages of 100,000 entries
        dupes = sorted(i for i, n in Counter(ids).items() if n > 1)
        if dupes:
            problems.append(f"resources returned on several pages: {', '.join(dupes[:5])}")
        if total is not None and len(set(ids)) != total:
            problems.append(f"the pages hold {len(set(ids))} distinct resources, total says {total}")
        if not problems:
            return
        if definite:
            fail(f"{resp.describe()}: " + "; ".join(problems))
        results = total if total is not None else frozenset(ids)
        if previous == results:
            fail(f"{resp.describe()}: " + "; ".join(problems) + " (in two walks over the same results)")
        previous = results
    raise CheckError(
        f"the {params.resource} results changed between each of {MAX_WALKS} walks through the pages "
        f"(last: {'; '.join(problems)}): resources are being written meanwhile, paging cannot be judged"
    )
