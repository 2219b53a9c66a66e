"""Checks `fhir.metadata.declares_*`: the CapabilityStatement declares what the system uses and claims."""

from __future__ import annotations

from pydantic import Field

from homolog import CheckError, HttpClient, Params, Target, check, fail
from homolog.suites.fhir.api import FHIR_API, capability, declared_resource, profile_for


class DeclaredResourcesParams(Params):
    """Resources (with interactions and search parameters) the statement must declare."""

    resources: dict[str, list[str]] = Field(default_factory=lambda: {"Patient": ["read", "vread", "search-type"]})
    search_params: dict[str, list[str]] = Field(
        default_factory=lambda: {"Patient": ["identifier", "family", "birthdate"]}
    )


@check("fhir.metadata.declares_resources", params=DeclaredResourcesParams, needs=FHIR_API)
def declares_resources(http: HttpClient, params: DeclaredResourcesParams) -> None:
    """The CapabilityStatement declares the resources, interactions and search parameters used."""
    cap = capability(http)
    problems = []
    for rtype, interactions in params.resources.items():
        res = declared_resource(cap, rtype)
        if res is None:
            problems.append(f"{rtype} is not declared")
            continue
        have = {i.get("code") for i in res.get("interaction") or [] if isinstance(i, dict)}
        missing = [i for i in interactions if i not in have]
        if missing:
            problems.append(f"{rtype} does not declare {', '.join(missing)}")
    for rtype, names in params.search_params.items():
        res = declared_resource(cap, rtype)
        if res is None:
            if rtype not in params.resources:
                problems.append(f"{rtype} is not declared")
            continue
        have = {p.get("name") for p in res.get("searchParam") or [] if isinstance(p, dict)}
        missing = [n for n in names if n not in have]
        if missing:
            problems.append(f"{rtype} does not declare search parameter(s) {', '.join(missing)}")
    if problems:
        fail("CapabilityStatement: " + "; ".join(problems))


@check("fhir.metadata.declares_profiles", needs=FHIR_API)
def declares_profiles(http: HttpClient, target: Target) -> None:
    """The CapabilityStatement lists the profiles the system claims for its resources."""
    claimed = dict(target.settings("fhir").get("profiles") or {})
    if not claimed:
        raise CheckError(
            "the target declares no profile (settings.fhir.profiles): nothing to compare the CapabilityStatement with"
        )
    cap = capability(http)
    problems = []
    for rtype in sorted(claimed):
        canonical = profile_for(target, rtype)
        res = declared_resource(cap, rtype)
        if res is None:
            problems.append(f"{rtype} is not declared")
            continue
        listed = [str(p).partition("|")[0] for p in res.get("supportedProfile") or []]
        if res.get("profile"):
            listed.append(str(res["profile"]).partition("|")[0])
        if canonical and canonical.partition("|")[0] not in listed:
            problems.append(f"{rtype} does not list {canonical} (lists: {listed or 'none'})")
    if problems:
        fail("CapabilityStatement: " + "; ".join(problems))
