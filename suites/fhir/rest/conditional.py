"""Checks `fhir.rest.conditional_create` and `fhir.rest.conditional_update`, where declared."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from homolog import CheckError, Evidence, HttpClient, Target, check, fail
from homolog.suites.fhir.api import bundle_resources, fhir_get, resource_body
from homolog.suites.fhir.writes import (
    MARKER_SYSTEM,
    CreatedLedger,
    WriteParams,
    WriteTarget,
    marked,
    new_marker,
    refused_sample,
    write_target,
)

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


def _count(http: HttpClient, write: WriteTarget, marker: str) -> int:
    resp = fhir_get(http, f"/{write.resource_type}", params={"identifier": f"{MARKER_SYSTEM}|{marker}"})
    if resp.status_code != 200:
        raise CheckError(f"searching the marked resources failed: {resp.status_code} for {resp.describe()}")
    return len(
        [r for r in bundle_resources(resource_body(resp, "Bundle")) if r.get("resourceType") == write.resource_type]
    )


def _conditional(write: WriteTarget, flag: str) -> None:
    if not write.declared.get(flag):
        pytest.skip(f"the CapabilityStatement does not declare {flag} for {write.resource_type}")
    if "identifier" not in write.search_params():
        pytest.skip(
            f"the conditional criteria use the identifier search parameter, which {write.resource_type} "
            "does not declare"
        )


@check("fhir.rest.conditional_create", params=WriteParams)
def conditional_create(http: HttpClient, target: Target, params: WriteParams, evidence: Evidence) -> None:
    """A create with If-None-Exist creates nothing when one resource matches (200) and 412 when several do."""
    write = write_target(http, target, params)
    write.require("create")
    _conditional(write, "conditionalCreate")
    ledger = CreatedLedger(http, write)
    problems: list[str] = []
    try:
        marker = new_marker()
        first = ledger.post(marked(write.sample, marker))
        if first.status_code >= 300:
            raise refused_sample(write.resource_type, first)
        one = ledger.post(marked(write.sample, marker), headers={"If-None-Exist": _criteria(marker)})
        if one.status_code != 200:
            problems.append(f"one match: {one.describe()} answered {one.status_code}, not 200")
        if (n := _count(http, write, marker)) != 1:
            problems.append(f"one match: {n} resources carry the marker afterwards, not 1")
        other = new_marker()
        none = ledger.post(marked(write.sample, other), headers={"If-None-Exist": _criteria(other)})
        if none.status_code != 201:
            problems.append(f"no match: {none.describe()} answered {none.status_code}, not 201")
        twin = ledger.post(marked(write.sample, marker))
        if 200 <= twin.status_code < 300:
            several = ledger.post(marked(write.sample, marker), headers={"If-None-Exist": _criteria(marker)})
            if several.status_code != 412:
                problems.append(f"several matches: {several.describe()} answered {several.status_code}, not 412")
    finally:
        ledger.clean_up(evidence)
    evidence.attach_json("fhir-conditional-create.json", {"clause": CREATE_CLAUSE, "problems": problems})
    if problems:
        fail(f"conditional create ({CREATE_CLAUSE.split(' (')[0]}): " + "; ".join(problems))


@check("fhir.rest.conditional_update", params=WriteParams)
def conditional_update(http: HttpClient, target: Target, params: WriteParams, evidence: Evidence) -> None:
    """A PUT with search criteria creates when nothing matches, updates the one match, and 412 on several."""
    write = write_target(http, target, params)
    write.require("create", "update")
    _conditional(write, "conditionalUpdate")
    ledger = CreatedLedger(http, write)
    problems: list[str] = []
    try:
        marker = new_marker()
        path = f"/{write.resource_type}?{_criteria(marker)}"
        first = ledger.put(path, marked(write.sample, marker))
        if first.status_code >= 300:
            raise refused_sample(write.resource_type, first)
        if first.status_code != 201:
            problems.append(f"no match: {first.describe()} answered {first.status_code}, not 201 Created")
        rid = ledger.id_of(first)
        second = ledger.put(path, marked(write.sample, marker))
        if second.status_code != 200:
            problems.append(f"one match: {second.describe()} answered {second.status_code}, not 200")
        elif rid is not None and (got := ledger.id_of(second)) not in (None, rid):
            problems.append(f"one match: the update went to {got}, not to the matching {rid}")
        if (n := _count(http, write, marker)) != 1:
            problems.append(f"one match: {n} resources carry the marker afterwards, not 1")
        twin = ledger.post(marked(write.sample, marker))
        if 200 <= twin.status_code < 300:
            several = ledger.put(path, marked(write.sample, marker))
            if several.status_code != 412:
                problems.append(f"several matches: {several.describe()} answered {several.status_code}, not 412")
    finally:
        ledger.clean_up(evidence)
    evidence.attach_json("fhir-conditional-update.json", {"clause": UPDATE_CLAUSE, "problems": problems})
    if problems:
        fail(f"conditional update ({UPDATE_CLAUSE.split(' (')[0]}): " + "; ".join(problems))
