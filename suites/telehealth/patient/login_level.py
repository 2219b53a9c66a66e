"""The patient logs in through the identity provider at the level the referential asks."""

from __future__ import annotations

from typing import Any

from homolog import CheckError, Evidence, Target, check, fail
from homolog.counterparts.psc import PscControl
from homolog.suites.telehealth.levels import LevelParams, acr_rank, asked_levels
from homolog.suites.telehealth.patient_login import patient_login


@check("telehealth.patient.login_level", params=LevelParams)
def login_level(psc_ui: Any, patient_idp: PscControl, target: Target, evidence: Evidence, params: LevelParams) -> None:
    """The patient logs in through the identity provider, asking the level of assurance the referential requires."""
    login = patient_login(psc_ui, patient_idp, target, evidence)
    asked = asked_levels(login.authorizations)
    if not any(acr_rank(v) >= acr_rank(params.acr) for v in asked):
        fail(
            f"the authorization request sent to the identity provider asks acr_values="
            f"{' '.join(asked) or '(none)'}: no level at or above {params.acr}, so the provider may"
            " authenticate the patient with a weaker means"
        )
    issued = [t.get("acr") for t in login.tokens if str(t.get("outcome", "")).startswith("tokens issued")]
    if issued and all(acr_rank(a) < acr_rank(params.acr) for a in issued):
        raise CheckError(
            f"the provider authenticated the patient at acr={', '.join(map(str, issued))}, below the "
            f"{params.acr} asked: whether the SUT admits a patient at that level cannot be told"
        )
    if login.patient is None:
        fail(
            f"after a login at {', '.join(map(str, issued)) or 'no token redeemed'} the patient space "
            f"shows no patient (the browser ended at {login.final_url})"
        )
