"""What the SUT asks Pro Santé Connect for: eIDAS level, PKCE S256, state and nonce."""

from __future__ import annotations

import re
from typing import Any

from homolog import CheckError, Evidence, Params, Target, check, fail
from homolog.counterparts.psc import PscControl

from .flow import PscLogin, psc_login, sound_login

_B64URL_43 = re.compile(r"^[A-Za-z0-9_-]{43,128}$")


def _login(
    psc_ui: Any,
    psc_simulator: PscControl,
    target: Target,
    evidence: Evidence,
    *,
    fresh: bool = False,
) -> PscLogin:
    login = psc_login(psc_ui, psc_simulator, target) if fresh else sound_login(psc_ui, psc_simulator, target)
    evidence.attach_json("psc-authorization-requests.json", login.authorizations)
    evidence.attach_json("psc-token-requests.json", login.tokens)
    return login


@check("security.psc.acr_eidas1")
def acr_eidas1(psc_ui: Any, psc_simulator: PscControl, target: Target, evidence: Evidence) -> None:
    """The PSC authorization request asks for the eIDAS substantial level (acr_values=eidas1)."""
    login = _login(psc_ui, psc_simulator, target, evidence)
    req = login.authorizations[0]
    acr = (req.get("acr_values") or "").split()
    if "eidas1" not in acr:
        fail(f"the authorization request sent acr_values={req.get('acr_values')!r}, expected eidas1")


@check("security.psc.pkce_s256")
def pkce_s256(psc_ui: Any, psc_simulator: PscControl, target: Target, evidence: Evidence) -> None:
    """The PSC login uses PKCE with the S256 method, and the code is redeemed with its verifier."""
    login = _login(psc_ui, psc_simulator, target, evidence)
    req = login.authorizations[0]
    method, challenge = req.get("code_challenge_method"), req.get("code_challenge")
    if not challenge:
        fail("the authorization request carries no code_challenge (no PKCE)")
    if method != "S256":
        fail(f"code_challenge_method is {method!r}, expected S256")
    if not _B64URL_43.match(challenge):
        fail(f"code_challenge {challenge[:20]!r}... is not a base64url SHA-256 digest")
    if not login.tokens:
        raise CheckError("the SUT never redeemed the authorization code: PKCE not observed")
    outcome = login.tokens[0].get("pkce")
    if outcome != "S256 verified":
        fail(f"at the token endpoint PKCE was {outcome!r}, expected a verified S256 verifier")


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
    first = _login(psc_ui, psc_simulator, target, evidence).authorizations[0]
    second = _login(psc_ui, psc_simulator, target, evidence, fresh=True).authorizations[0]
    for name in ("state", "nonce"):
        values = [str(first.get(name) or ""), str(second.get(name) or "")]
        if not all(values):
            fail(f"the authorization request carries no {name}")
        short = [v for v in values if len(v) < params.min_length]
        if short:
            fail(f"{name} {short[0]!r} is shorter than {params.min_length} characters")
        if values[0] == values[1]:
            fail(f"the same {name} was sent for two logins: it is not unguessable")


@check("security.psc.code_flow")
def code_flow(psc_ui: Any, psc_simulator: PscControl, target: Target, evidence: Evidence) -> None:
    """The login uses the OpenID Connect authorization code flow, redeeming the code server-side."""
    login = _login(psc_ui, psc_simulator, target, evidence)
    req = login.authorizations[0]
    if req.get("response_type") != "code":
        fail(f"response_type={req.get('response_type')!r}, expected the code flow ('code')")
    if "openid" not in (req.get("scope") or "").split():
        fail(f"scope={req.get('scope')!r} lacks openid: this is not an OpenID Connect request")
    issued = [t for t in login.tokens if str(t.get("outcome", "")).startswith("tokens issued")]
    if not issued:
        outcomes = [t.get("outcome") for t in login.tokens] or ["no token request"]
        fail(f"the authorization code was not redeemed at the token endpoint: {outcomes}")
