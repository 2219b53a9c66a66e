"""Paging: _count limits a page and the next links walk through every result."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from homolog import CheckError, HttpClient, Params, check, fail
from homolog.suites.fhir.api import FHIR_API, bundle_resources, fhir_get, iter_pages, resource_body

#: Walks made while the results move under them (another user writing meanwhile), and
#: the pause before each new walk: about 8 s in all for the results to stay still once.
MAX_WALKS = 6
PAUSE_SECONDS = (0.25, 0.5, 1.0, 2.0, 4.0)


class PagingParams(Params):
    """Resource type searched, page size asked for, and a bound on pages followed."""

    resource: str = "Patient"
    count: int = 2
    max_pages: int = 100


@dataclass
class _Walk:
    """What one walk from the first page saw."""

    first: Any  # the first page's response
    ids: list[str] = field(default_factory=list)  # in the order the pages gave them
    totals: list[int | None] = field(default_factory=list)  # each page's Bundle.total
    oversized: list[str] = field(default_factory=list)

    @property
    def total(self) -> int | None:
        return self.totals[0] if self.totals else None

    @property
    def pages(self) -> int:
        return len(self.totals)


def _walk(http: HttpClient, params: PagingParams) -> _Walk:
    resp = fhir_get(http, f"/{params.resource}", params={"_count": str(params.count)})
    if resp.status_code != 200:
        fail(f"expected 200, got {resp.status_code} for {resp.describe()}")
    walk = _Walk(resp)
    for page, bundle in iter_pages(http, resource_body(resp, "Bundle"), max_pages=params.max_pages):
        walk.totals.append(bundle.get("total") if isinstance(bundle.get("total"), int) else None)
        found = [r for r in bundle_resources(bundle) if r.get("resourceType") == params.resource]
        if len(found) > params.count:
            walk.oversized.append(f"page {page} holds {len(found)} resources for _count={params.count}")
        walk.ids += [f"{r.get('id')}" for r in found]
    return walk


@check("fhir.search.paging", params=PagingParams, needs=FHIR_API)
def paging(http: HttpClient, params: PagingParams) -> None:
    """Search honours _count and its next links lead through every result exactly once.

    A next link on a host or port the target does not declare fails with its URL, and
    is not followed. A page larger than `_count`, or a first page without a next link
    while there are more results, fails at once. A resource seen on two pages, or pages
    holding another number of resources than `total`, fail when the results did not move
    during the walk: every page gave the same `total` (a server that gives it on the
    first page only: two walks gave the same resources in the same order). Results that
    moved were being written meanwhile (another user, another check) and prove nothing
    about paging: the walk is made again after a pause (`PAUSE_SECONDS`, growing), and
    after `MAX_WALKS` walks over moving results the check cannot decide. An order that
    changes between page requests over unmoving results fails: it loses and repeats
    resources.
    """
    previous: list[str] | None = None
    problems: list[str] = []
    for attempt in range(MAX_WALKS):
        if attempt:
            time.sleep(PAUSE_SECONDS[attempt - 1])
        walk = _walk(http, params)
        problems = list(walk.oversized)
        total, ids = walk.total, walk.ids
        if walk.pages == 1 and max(total or 0, len(ids)) > params.count:
            problems.append(f"{max(total or 0, len(ids))} results but the first page has no next link")
        definite = bool(problems)  # whatever else the walk saw, these fail
        if walk.pages == 1 and not definite:
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
            fail(f"{walk.first.describe()}: " + "; ".join(problems))
        if None not in walk.totals and len(set(walk.totals)) == 1:
            fail(
                f"{walk.first.describe()}: "
                + "; ".join(problems)
                + f" (total {total} on each of the {walk.pages} pages)"
            )
        if None in walk.totals and previous == ids:
            fail(f"{walk.first.describe()}: " + "; ".join(problems) + " (the same in two walks)")
        previous = ids
    raise CheckError(
        f"the {params.resource} results moved during each of {MAX_WALKS} walks through the pages "
        f"(last: {'; '.join(problems)}): resources are being written meanwhile, paging cannot be judged"
    )
