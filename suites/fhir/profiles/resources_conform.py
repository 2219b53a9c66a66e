"""Resources the server returns conform to the FHIR profiles the target declares."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from homolog import CheckError, Evidence, HttpClient, Needs, Params, Target, check, fail, fetch_command
from homolog.suites.fhir.api import (
    FHIR_API,
    bundle_resources,
    fhir_get,
    missing_packages_note,
    profile_for,
    resource_body,
    summarize,
    validator_for,
)
from homolog.suites.fhir.validator import UnknownProfile, to_operation_outcome


class ConformParams(Params):
    """Resources to validate: test data read by id, plus a first search page per type."""

    data: dict[str, list[str]] = Field(
        default_factory=lambda: {"Patient": ["patient_qualified", "patient_unqualified"]}
    )
    search: bool = True
    search_count: int = 50


def _needs(params: ConformParams) -> Needs:
    return FHIR_API | Needs(data=tuple(k for keys in params.data.values() for k in keys))


@check("fhir.profiles.resources_conform", params=ConformParams, needs=_needs)
def resources_conform(http: HttpClient, target: Target, evidence: Evidence, params: ConformParams) -> None:
    """Every resource the server returns validates against the profile the vendor declares."""
    validator = validator_for(target)
    collected: dict[str, dict[str, Any]] = {}
    for rtype, keys in params.data.items():
        for key in keys:
            rid = str(target.datum(key))
            resp = fhir_get(http, f"/{rtype}/{rid}")
            if resp.status_code != 200:
                fail(f"expected 200, got {resp.status_code} for {resp.describe()}")
            collected[f"{rtype}/{rid}"] = resource_body(resp, rtype)
        if params.search:
            resp = fhir_get(http, f"/{rtype}", params={"_count": str(params.search_count)})
            if resp.status_code != 200:
                fail(f"expected 200, got {resp.status_code} for {resp.describe()}")
            for res in bundle_resources(resource_body(resp, "Bundle")):
                if res.get("resourceType") == rtype:
                    collected.setdefault(f"{rtype}/{res.get('id')}", res)
    failures = []
    report: dict[str, Any] = {}
    for ref, res in collected.items():
        rtype = ref.split("/", 1)[0]
        profile = profile_for(target, rtype)
        if profile is None:
            raise CheckError(f"settings.fhir.profiles declares no profile for {rtype}")
        try:
            issues = validator.validate(res, profile)
        except UnknownProfile as exc:
            raise CheckError(f"{exc}; add its package to settings.fhir.requires") from None
        report[ref] = to_operation_outcome(issues)
        errors = [i for i in issues if i.is_error]
        if errors:
            failures.append(f"{ref}: {summarize(errors, 3)}")
    missing = validator.missing
    if missing:
        # The verdict stands on what could be checked; every report says what could not.
        keys = [m.key for m in missing]
        evidence.caveat(
            "missing-fhir-packages",
            f"validated without the FHIR packages {', '.join(keys)} (not found):"
            f" what they define was not checked; `{fetch_command('fhir')}` installs them",
            packages=keys,
            weakens="; ".join(dict.fromkeys(m.weakens for m in missing)),
        )
    evidence.attach_json(
        "fhir-validation.json",
        {
            "profiles": dict(target.settings("fhir").get("profiles") or {}),
            "missing_packages": [m.to_json() for m in missing],
            "results": report,
        },
    )
    if not collected:
        raise CheckError("no resource to validate: the target names no test data")
    if failures:
        caveat = f" ({missing_packages_note(missing)})" if missing else ""
        fail(f"{len(failures)} of {len(collected)} resource(s) do not conform{caveat}: " + " | ".join(failures[:5]))
