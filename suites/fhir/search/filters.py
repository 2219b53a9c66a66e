"""Check `fhir.search.filters`: declared search parameters really filter."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Callable
from typing import Any, Literal

from homolog import CheckError, HttpClient, Needs, Params, Target, check, fail
from homolog.suites.fhir.api import FHIR_API, bundle_resources, fhir_get, needed_body, resource_body


class FilterParams(Params):
    """Which search parameter to test, on which resource, from which test datum."""

    resource: Literal["Patient"] = "Patient"
    parameter: Literal["identifier", "family", "birthdate"] = "family"
    data_key: str = "patient_qualified"


def _fold(text: str) -> str:
    # FHIR string search ignores case and accents.
    norm = unicodedata.normalize("NFKD", text)
    return "".join(c for c in norm if not unicodedata.combining(c)).casefold()


def _criterion(parameter: str, res: dict[str, Any]) -> str:
    """A search value the resource must match, taken from the resource itself."""
    if parameter == "identifier":
        for ident in res.get("identifier") or []:
            if isinstance(ident, dict) and ident.get("system") and ident.get("value"):
                return f"{ident['system']}|{ident['value']}"
        raise CheckError("the test resource has no identifier with system and value")
    if parameter == "family":
        for name in res.get("name") or []:
            if isinstance(name, dict) and isinstance(name.get("family"), str):
                return str(name["family"])
        raise CheckError("the test resource has no family name")
    birth = res.get("birthDate")
    if not isinstance(birth, str):
        raise CheckError("the test resource has no birthDate")
    return birth


def _matches(parameter: str, value: str, res: dict[str, Any]) -> bool:
    if parameter == "identifier":
        system, _, code = value.partition("|")
        return any(
            isinstance(i, dict) and i.get("system") == system and i.get("value") == code
            for i in res.get("identifier") or []
        )
    if parameter == "family":
        return any(
            isinstance(n, dict) and isinstance(n.get("family"), str) and _fold(n["family"]).startswith(_fold(value))
            for n in res.get("name") or []
        )
    return str(res.get("birthDate", "")).startswith(value)


_NO_MATCH: dict[str, Callable[[str], str]] = {
    "identifier": lambda v: f"{v.partition('|')[0]}|homolog-none-{uuid.uuid4().hex[:10]}",
    "family": lambda v: f"Zzhomolog{uuid.uuid4().hex[:8]}",
    "birthdate": lambda v: "1801-02-03",
}


@check("fhir.search.filters", params=FilterParams, needs=lambda p: FHIR_API | Needs(data=(p.data_key,)))
def filters(http: HttpClient, target: Target, params: FilterParams) -> None:
    """A search by the declared parameter returns the matching resources and only those."""
    rid = str(target.datum(params.data_key))
    resp = fhir_get(http, f"/{params.resource}/{rid}")
    if resp.status_code != 200:
        raise CheckError(f"cannot read the test resource: {resp.status_code} for {resp.describe()}")
    value = _criterion(params.parameter, needed_body(resp, params.resource))

    resp = fhir_get(http, f"/{params.resource}", params={params.parameter: value, "_count": "100"})
    if resp.status_code != 200:
        fail(f"expected 200, got {resp.status_code} for {resp.describe()}")
    found = bundle_resources(resource_body(resp, "Bundle"))
    found = [r for r in found if r.get("resourceType") == params.resource]
    problems = []
    if rid not in {r.get("id") for r in found}:
        problems.append(
            f"{resp.describe()} does not return {params.resource}/{rid}, which has {params.parameter}={value}"
        )
    strays = [str(r.get("id")) for r in found if not _matches(params.parameter, value, r)]
    if strays:
        problems.append(
            f"{resp.describe()} also returns {len(strays)} resource(s) that do not match: {', '.join(strays[:5])}"
        )

    absent = _NO_MATCH[params.parameter](value)
    resp = fhir_get(http, f"/{params.resource}", params={params.parameter: absent})
    if resp.status_code != 200:
        problems.append(f"expected 200, got {resp.status_code} for {resp.describe()}")
    else:
        bundle = resource_body(resp, "Bundle")
        hits = [r for r in bundle_resources(bundle) if r.get("resourceType") == params.resource]
        if hits or (isinstance(bundle.get("total"), int) and bundle["total"] > 0):
            problems.append(
                f"{resp.describe()} matches nothing by construction but returns "
                f"{bundle.get('total', len(hits))} resource(s)"
            )
    if problems:
        fail("; ".join(problems))
