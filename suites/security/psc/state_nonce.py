"""Check `security.psc.state_nonce`: state and nonce are unguessable and new each login."""

from __future__ import annotations

from typing import Any

from homolog import Evidence, Params, Target, check, fail
from homolog.counterparts.psc import PscControl

from ..psc_login import recorded_login


class StateNonceParams(Params):
    """Minimum length of state and nonce (unguessable values)."""

    min_length: int = 16


@check("security.psc.state_nonce", params=StateNonceParams)
def state_nonce(
    psc_ui: Any,
    psc_simulator: PscControl,
    target: Target,
    params: StateNonceParams,
    evidence: Evidence,
) -> None:
    """The PSC authorization request carries unguessable state and nonce values, new each time."""
    first = recorded_login(psc_ui, psc_simulator, target, evidence).authorizations[0]
    second = recorded_login(psc_ui, psc_simulator, target, evidence, fresh=True).authorizations[0]
    for name in ("state", "nonce"):
        first_value, second_value = first.get(name), second.get(name)
        if not first_value or not second_value:
            fail(f"the authorization request carries no {name}")
        values = [first_value, second_value]
        short = [v for v in values if len(v) < params.min_length]
        if short:
            fail(f"{name} {short[0]!r} is shorter than {params.min_length} characters")
        if values[0] == values[1]:
            fail(f"the same {name} was sent for two logins: it is not unguessable")
