"""The PSC identity (SubjectNameID) opens the matching local account, and only it."""

from __future__ import annotations

from typing import Any

from homolog import CheckError, Evidence, Params, Target, check, fail
from homolog.counterparts.psc import PscControl, PscControlError

from ..psc_login import current_user, psc_login


class MappingParams(Params):
    """The form account whose idNatPS is ``data.psc_user_idnatps``."""

    auth_name: str = "web"


@check("security.psc.subject_mapping", params=MappingParams)
def subject_mapping(
    psc_ui: Any,
    psc_simulator: PscControl,
    target: Target,
    params: MappingParams,
    evidence: Evidence,
) -> None:
    """A PSC login opens the account of the professional's idNatPS (SubjectNameID), not another."""
    idnatps = str(target.datum("psc_user_idnatps"))
    try:
        known = [p["idnatps"] for p in psc_simulator.info()["professionals"]]
    except (PscControlError, KeyError, TypeError) as exc:
        raise CheckError(f"cannot read the simulator's professionals: {exc}") from exc
    if idnatps not in known:
        raise CheckError(f"the simulator has no professional {idnatps} (data.psc_user_idnatps)")
    # Ground truth: what the home page shows for that account after a password login.
    psc_ui.login(auth=params.auth_name, landing=False)
    expected = current_user(psc_ui)
    if expected is None:
        raise CheckError("after a form login the home page shows no current_user")
    psc_ui.context.clear_cookies()
    login = psc_login(psc_ui, psc_simulator, target, login_as=idnatps)
    seen = {"idnatps": idnatps, "expected_user": expected, "psc_user": login.user}
    if login.user != expected:
        evidence.attach_json("psc-mapping.json", seen)
        psc_ui.screenshot("psc-mapping.png")
        fail(f"a PSC login as {idnatps} shows user {login.user!r}, expected {expected!r}")
    others = [i for i in known if i != idnatps]
    if others:
        psc_ui.context.clear_cookies()
        other = psc_login(psc_ui, psc_simulator, target, login_as=others[0])
        seen["other_idnatps"], seen["other_user"] = others[0], other.user
        if other.user == expected:
            evidence.attach_json("psc-mapping.json", seen)
            fail(f"a PSC login as another professional ({others[0]}) opened {expected!r}")
    evidence.attach_json("psc-mapping.json", seen)
