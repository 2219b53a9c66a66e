"""The SUT refuses a PSC login whose ID token or response cannot be trusted."""

from __future__ import annotations

from typing import Any, Literal

from homolog import CheckError, Evidence, Params, Target, check, fail
from homolog.counterparts.psc import PscControl

from ..psc_login import psc_login


class TokenParams(Params):
    """Which defect the simulator puts in the next login."""

    mode: Literal["wrong-aud", "expired", "bad-signature", "wrong-nonce", "wrong-state"]


_WHAT = {
    "wrong-aud": "an ID token issued for another client (wrong aud)",
    "expired": "an expired ID token",
    "bad-signature": "an ID token whose signature does not verify",
    "wrong-nonce": "an ID token with another nonce than the one sent",
    "wrong-state": "a callback whose state differs from the one sent",
}


@check("security.psc.rejects_invalid_token", params=TokenParams)
def rejects_invalid_token(
    psc_ui: Any, psc_simulator: PscControl, target: Target, params: TokenParams, evidence: Evidence
) -> None:
    """The SUT refuses a PSC login with a forged, expired, misaddressed or replayed token."""
    login = psc_login(psc_ui, psc_simulator, target, mode=params.mode)
    evidence.attach_json(
        "psc-login.json",
        {
            "mode": params.mode,
            "authorizations": login.authorizations,
            "tokens": login.tokens,
            "final_url": login.final_url,
            "current_user": login.user,
        },
    )
    if params.mode == "wrong-state":
        applied = any(a.get("mode") == "wrong-state" for a in login.authorizations)
    else:
        applied = any(t.get("mode") == params.mode for t in login.tokens)
    if login.user is not None:
        psc_ui.screenshot("psc-session-opened.png")
        if not login.tokens and params.mode != "wrong-state":
            fail(
                f"the SUT opened a session for {login.user!r} without redeeming the "
                "authorization code: no ID token was ever checked"
            )
        if applied:
            fail(f"the SUT opened a session for {login.user!r} after {_WHAT[params.mode]}")
    if not applied:
        raise CheckError(
            f"the simulator could not serve {_WHAT[params.mode]} (tokens requested: "
            f"{len(login.tokens)}): the check cannot decide"
        )
