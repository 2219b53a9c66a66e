"""Strict traits of a qualified identity cannot change silently."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Literal

from homolog import CheckError, Evidence, HttpClient, Params, Target, check, fail

from ..fr_core_patient import EXT_BIRTH_GIVEN_NAMES, EXT_BIRTH_PLACE, EXT_INSEE_CODE, official_name
from ..insi_service import make_known_to_insi
from ..settings import IdentitySettings, load_identity_settings
from ..sut import (
    WRITES_PATIENTS,
    count_history_records,
    create_patient,
    delete_patient,
    history_versions,
    marker,
    qualified_test_patient,
    read_patient,
    rniv_status,
)

__all__ = ["StrictTraitParams", "strict_traits_protected"]

Trait = Literal["birth_name", "birth_given_names", "birth_date", "sex", "birthplace"]


class StrictTraitParams(Params):
    """The strict trait to try to change on a qualified identity."""

    trait: Trait = "birth_name"


def _get(patient: dict[str, Any], trait: Trait) -> Any:
    name = official_name(patient) or {}
    if trait == "birth_name":
        return name.get("family")
    if trait == "birth_given_names":
        return [
            e.get("valueString")
            for e in name.get("extension") or []
            if isinstance(e, dict) and e.get("url") == EXT_BIRTH_GIVEN_NAMES
        ]
    if trait == "birth_date":
        return patient.get("birthDate")
    if trait == "sex":
        return patient.get("gender")
    return [
        e.get("valueAddress")
        for e in patient.get("extension") or []
        if isinstance(e, dict) and e.get("url") == EXT_BIRTH_PLACE
    ]


def _change(patient: dict[str, Any], trait: Trait) -> None:
    name = official_name(patient)
    if not isinstance(name, dict):
        raise CheckError("the qualified test patient read back has no official name")
    if trait == "birth_name":
        name["family"] = f"{name.get('family')}-MODIFIE"
    elif trait == "birth_given_names":
        name["extension"] = [{"url": EXT_BIRTH_GIVEN_NAMES, "valueString": "DOMINIQUE MARIE"}]
        name["given"] = ["DOMINIQUE"]
    elif trait == "birth_date":
        patient["birthDate"] = "1980-04-29"
    elif trait == "sex":
        patient["gender"] = "male" if patient.get("gender") == "female" else "female"
    else:
        patient["extension"] = [
            e for e in patient.get("extension") or [] if not (isinstance(e, dict) and e.get("url") == EXT_BIRTH_PLACE)
        ]
        patient["extension"].append(
            {
                "url": EXT_BIRTH_PLACE,
                "valueAddress": {"extension": [{"url": EXT_INSEE_CODE, "valueCoding": {"code": "2A004"}}]},
            }
        )


def _historised(
    http: HttpClient,
    settings: IdentitySettings,
    patient_id: str,
    before: Callable[[], int] | None,
    trait: Trait,
    original: Any,
) -> bool:
    if settings.history == "fhir-history":
        # The history must still show the trait as it was before the change.
        versions = history_versions(http, patient_id)
        return len(versions) >= 2 and any(_get(dict(v), trait) == original for v in versions)
    if before is None:
        return False
    return count_history_records(http, settings, patient_id) > before()


@check("identity.traits.strict_readonly", params=StrictTraitParams, needs=WRITES_PATIENTS)
def strict_traits_protected(http: HttpClient, target: Target, params: StrictTraitParams, evidence: Evidence) -> None:
    """A strict trait of a qualified identity cannot change silently.

    The update must be refused (4xx, nothing changed), or accepted with the status
    demoted from qualified and the change historised where the target says.
    """
    settings = load_identity_settings(target)
    sent = qualified_test_patient(settings, family=marker())
    make_known_to_insi(target, sent)
    resp, new_id = create_patient(http, sent)
    if not new_id:
        raise CheckError(f"could not create a qualified test patient: {resp.describe()} answered {resp.status_code}")
    try:
        current = read_patient(http, new_id)
        if rniv_status(current, settings) != "QUAL":
            raise CheckError(
                "the SUT did not store the test identity as qualified "
                f"(status {rniv_status(current, settings)!r}): cannot decide"
            )
        original = copy.deepcopy(_get(current, params.trait))
        records_before = count_history_records(http, settings, new_id) if settings.history != "fhir-history" else 0
        changed = copy.deepcopy(current)
        changed.pop("meta", None)  # server-managed (version, tags): a client sends its data
        _change(changed, params.trait)
        put = http.request("PUT", f"/Patient/{new_id}", base="fhir", json=changed, auth="fhir")
        after = read_patient(http, new_id)
        now = _get(after, params.trait)
        status = rniv_status(after, settings)
        if 400 <= put.status_code < 500:
            if now != original:
                fail(
                    f"{put.describe()} was refused ({put.status_code}) but the {params.trait} "
                    f"changed anyway: {original!r} -> {now!r}"
                )
            return
        if not 200 <= put.status_code < 300:
            fail(
                f"{put.describe()} answered {put.status_code}: expected a 4xx refusal or "
                "an accepted change with the status demoted"
            )
        if now == original:
            fail(
                f"{put.describe()} answered {put.status_code} (success) but the "
                f"{params.trait} did not change: the client was told a lie"
            )
        evidence.attach_json("patient-after-change.json", after)
        if status == "QUAL":
            fail(f"{params.trait} changed from {original!r} to {now!r} and the identity stays qualified")
        if not _historised(http, settings, new_id, lambda: records_before, params.trait, original):
            fail(
                f"{params.trait} changed and the status was demoted to {status}, but the "
                f"change is not historised ({settings.history})"
            )
    finally:
        delete_patient(http, new_id)
