"""Check `security.psc.code_flow`: the login uses the authorization code flow."""

from __future__ import annotations

from typing import Any

from homolog import Evidence, Target, check, fail
from homolog.counterparts.psc import PscControl

from ..psc_login import recorded_login


@check("security.psc.code_flow")
def code_flow(psc_ui: Any, psc_simulator: PscControl, target: Target, evidence: Evidence) -> None:
    """The login uses the OpenID Connect authorization code flow, redeeming the code server-side."""
    login = recorded_login(psc_ui, psc_simulator, target, evidence)
    req = login.authorizations[0]
    if req.get("response_type") != "code":
        fail(f"response_type={req.get('response_type')!r}, expected the code flow ('code')")
    if "openid" not in (req.get("scope") or "").split():
        fail(f"scope={req.get('scope')!r} lacks openid: this is not an OpenID Connect request")
    issued = [t for t in login.tokens if str(t.get("outcome", "")).startswith("tokens issued")]
    if not issued:
        outcomes = [t.get("outcome") for t in login.tokens] or ["no token request"]
        fail(f"the authorization code was not redeemed at the token endpoint: {outcomes}")
