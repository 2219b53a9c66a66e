"""Checks `fhir.rest.conditional_create` and `fhir.rest.conditional_update`, where declared."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import pytest

from homolog import CheckError, Evidence, HttpClient, Needs, Response, Target, check
from homolog.suites.fhir.api import FHIR_API, bundle_resources, fhir_get, resource_body
from homolog.suites.fhir.writes import MARKER_SYSTEM, WriteParams, Writing, marked, new_marker, writing

CREATE_CLAUSE = (
    "FHIR R4 http.html#ccreate (conditional create, If-None-Exist): no match - the server creates the "
    "resource (201); one match - it ignores the post and answers 200 OK; several matches - 412 "
    "Precondition Failed"
)
UPDATE_CLAUSE = (
    "FHIR R4 http.html#cond-update (conditional update, PUT [type]?[criteria]): no match - the server "
    "creates the resource (201); one match - it updates that resource (200 OK); several matches - 412 "
    "Precondition Failed"
)


def _criteria(marker: str) -> str:
    return f"identifier={quote(MARKER_SYSTEM + '|' + marker, safe=':')}"


def _count(http: HttpClient, w: Writing, marker: str) -> int:
    rtype = w.write.resource_type
    resp = fhir_get(http, f"/{rtype}", params={"identifier": f"{MARKER_SYSTEM}|{marker}"})
    if resp.status_code != 200:
        raise CheckError(f"searching the marked resources failed: {resp.status_code} for {resp.describe()}")
    return len([r for r in bundle_resources(resource_body(resp, "Bundle")) if r.get("resourceType") == rtype])


def _conditional(w: Writing, flag: str) -> None:
    if not w.write.declared.get(flag):
        pytest.skip(f"the CapabilityStatement does not declare {flag} for {w.write.resource_type}")
    if "identifier" not in w.write.search_params():
        pytest.skip(
            f"the conditional criteria use the identifier search parameter, which {w.write.resource_type} "
            "does not declare"
        )


def _several(w: Writing, marker: str, send: Callable[[], Response]) -> None:
    """With a second resource carrying the marker, the conditional write must be refused with 412."""
    twin = w.ledger.post(marked(w.write.sample, marker))
    if 200 <= twin.status_code < 300 and (resp := send()).status_code != 412:
        w.problems.append(f"several matches: {resp.describe()} answered {resp.status_code}, not 412")


@check("fhir.rest.conditional_create", params=WriteParams, needs=FHIR_API | Needs(writes=True))
def conditional_create(http: HttpClient, target: Target, params: WriteParams, evidence: Evidence) -> None:
    """A create with If-None-Exist creates nothing when one resource matches (200) and 412 when several do."""
    with writing(
        http,
        target,
        params,
        evidence,
        needs=("create",),
        clause=CREATE_CLAUSE,
        label="conditional create (http.html#ccreate)",
    ) as w:
        _conditional(w, "conditionalCreate")
        marker = new_marker()
        w.create(marker)

        def again(m: str = marker) -> Response:
            return w.ledger.post(marked(w.write.sample, m), headers={"If-None-Exist": _criteria(m)})

        one = again()
        if one.status_code != 200:
            w.problems.append(f"one match: {one.describe()} answered {one.status_code}, not 200")
        if (n := _count(http, w, marker)) != 1:
            w.problems.append(f"one match: {n} resources carry the marker afterwards, not 1")
        other = new_marker()
        none = again(other)
        # The status of a plain create is fhir.rest.create's business; here: was it created?
        if not 200 <= none.status_code < 300 or _count(http, w, other) != 1:
            w.problems.append(f"no match: {none.describe()} answered {none.status_code} and did not create it")
        _several(w, marker, again)


@check("fhir.rest.conditional_update", params=WriteParams, needs=FHIR_API | Needs(writes=True))
def conditional_update(http: HttpClient, target: Target, params: WriteParams, evidence: Evidence) -> None:
    """A PUT with search criteria creates when nothing matches, updates the one match, and 412 on several."""
    with writing(
        http,
        target,
        params,
        evidence,
        needs=("create", "update"),
        clause=UPDATE_CLAUSE,
        label="conditional update (http.html#cond-update)",
    ) as w:
        _conditional(w, "conditionalUpdate")
        marker = new_marker()

        def put() -> Response:
            return w.ledger.put(f"/{w.write.resource_type}?{_criteria(marker)}", marked(w.write.sample, marker))

        first = put()
        if first.status_code >= 300:
            w.create(marker)  # tells a refused sample (error) from a refused conditional update
            w.problems.append(f"no match: {first.describe()} answered {first.status_code}")
            return
        # Statuses of plain creates and updates are judged by fhir.rest.create and .update;
        # here: nothing matches -> one resource created, one match -> that one updated.
        if _count(http, w, marker) != 1:
            w.problems.append(f"no match: {first.describe()} answered {first.status_code} and did not create it")
        rid = w.ledger.id_of(first)
        second = put()
        if not 200 <= second.status_code < 300:
            w.problems.append(f"one match: {second.describe()} answered {second.status_code}")
        elif rid is not None and (got := w.ledger.id_of(second)) not in (None, rid):
            w.problems.append(f"one match: the update went to {got}, not to the matching {rid}")
        if (n := _count(http, w, marker)) != 1:
            w.problems.append(f"one match: {n} resources carry the marker afterwards, not 1")
        _several(w, marker, put)
