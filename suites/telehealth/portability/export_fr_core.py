"""The patient's export is a Bundle of FR Core-conformant resources."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from homolog import CheckError, Evidence, Params, Target, check, fail, fetch_command
from homolog.counterparts.psc import PscControl
from homolog.suites.fhir.api import bundle_resources, summarize, validator_for
from homolog.suites.fhir.validator import UnknownProfile, to_operation_outcome
from homolog.suites.telehealth.export import patient_export

_FR_CORE = "https://hl7.fr/ig/fhir/core/StructureDefinition/"


class FrCoreParams(Params):
    """The FR Core profile each kind of exported resource must meet (besides those it claims)."""

    by_type: dict[str, str] = Field(
        default_factory=lambda: {
            "Patient": _FR_CORE + "fr-core-patient",
            "Practitioner": _FR_CORE + "fr-core-practitioner",
            "Organization": _FR_CORE + "fr-core-organization",
        }
    )
    # Observations by LOINC code: FR Core's vital signs profiles.
    observations: dict[str, str] = Field(
        default_factory=lambda: {
            "29463-7": _FR_CORE + "fr-core-observation-body-weight",
            "8867-4": _FR_CORE + "fr-core-observation-heartrate",
            "85354-9": _FR_CORE + "fr-core-observation-bp",
            "2708-6": _FR_CORE + "fr-core-observation-saturation-oxygen",
            "59408-5": _FR_CORE + "fr-core-observation-saturation-oxygen",
            "8310-5": _FR_CORE + "fr-core-observation-body-temperature",
            "9279-1": _FR_CORE + "fr-core-observation-resp-rate",
            "8302-2": _FR_CORE + "fr-core-observation-body-height",
            "39156-5": _FR_CORE + "fr-core-observation-bmi",
        }
    )


def _profiles(res: dict[str, Any], params: FrCoreParams) -> list[str]:
    claimed = [p.split("|")[0] for p in (res.get("meta") or {}).get("profile") or [] if isinstance(p, str)]
    wanted = [p for p in claimed if p.startswith(_FR_CORE)]
    rtype = str(res.get("resourceType"))
    if rtype in params.by_type:
        wanted.append(params.by_type[rtype])
    if rtype == "Observation":
        codes = [c.get("code") for c in (res.get("code") or {}).get("coding") or [] if isinstance(c, dict)]
        wanted += [params.observations[c] for c in codes if c in params.observations]
    return list(dict.fromkeys(wanted))


@check("telehealth.portability.export_fr_core", params=FrCoreParams)
def export_fr_core(
    psc_ui: Any, patient_idp: PscControl, target: Target, evidence: Evidence, params: FrCoreParams
) -> None:
    """The patient's data export is a FHIR Bundle whose resources conform to the FR Core profiles."""
    export = patient_export(psc_ui, patient_idp, target, evidence)
    resources = bundle_resources(export.bundle)
    if not resources:
        fail(f"the export at {export.url} is a Bundle without any resource")
    validator = validator_for(target)
    failures, report, uncovered = [], {}, []
    for i, res in enumerate(resources):
        ref = f"{res.get('resourceType')}/{res.get('id') or f'entry[{i}]'}"
        profiles = _profiles(res, params)
        if not profiles:
            uncovered.append(ref)
            continue
        for profile in profiles:
            try:
                issues = validator.validate(res, profile)
            except UnknownProfile as exc:
                raise CheckError(f"{exc}; add its package to settings.fhir.requires") from None
            report[f"{ref} {profile}"] = to_operation_outcome(issues)
            errors = [i for i in issues if i.is_error]
            if errors:
                failures.append(f"{ref} against {profile.rsplit('/', 1)[-1]}: {summarize(errors, 2)}")
    evidence.attach_json("validation.json", {"validated": report, "no_fr_core_profile": uncovered})
    if validator.missing:
        keys = [m.key for m in validator.missing]
        evidence.caveat(
            "missing-fhir-packages",
            f"validated without the FHIR packages {', '.join(keys)} (not found): what they define was not"
            f" checked; `{fetch_command('fhir')}` installs them",
            packages=keys,
            weakens="; ".join(dict.fromkeys(m.weakens for m in validator.missing)),
        )
    if not report:
        fail(f"no resource of the export has an FR Core profile ({', '.join(uncovered[:5])}): not FR Core data")
    if failures:
        fail(f"{len(failures)} exported resource(s) do not conform to FR Core: " + "; ".join(failures[:5]))
