"""The patient space stays closed to a login below the required level."""

from __future__ import annotations

from typing import Any

from homolog import CheckError, Evidence, Target, check, fail
from homolog.counterparts.psc import PscControl
from homolog.suites.telehealth.levels import LevelParams, acr_rank
from homolog.suites.telehealth.patient_login import patient_login


@check("telehealth.patient.refuses_low_level", params=LevelParams)
def refuses_low_level(
    psc_ui: Any, patient_idp: PscControl, target: Target, evidence: Evidence, params: LevelParams
) -> None:
    """The patient space refuses a patient whom the identity provider authenticated below the required level."""
    login = patient_login(psc_ui, patient_idp, target, evidence, mode="low-acr")
    issued = [t.get("acr") for t in login.tokens if str(t.get("outcome", "")).startswith("tokens issued")]
    if not issued:
        raise CheckError(
            "the SUT did not redeem the authorization code: whether it would accept a login below "
            f"{params.acr} cannot be told (see the provider's records)"
        )
    if all(acr_rank(a) >= acr_rank(params.acr) for a in issued):
        raise CheckError(f"the provider issued acr={', '.join(map(str, issued))}, not a level below {params.acr}")
    if login.patient is not None:
        psc_ui.screenshot("patient-space-opened.png")
        fail(
            f"the patient space opened for {login.patient!r} although the identity token says "
            f"acr={', '.join(map(str, issued))}, below the required {params.acr}"
        )
