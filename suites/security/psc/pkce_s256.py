"""Check `security.psc.pkce_s256`: the PSC login uses PKCE S256."""

from __future__ import annotations

import re
from typing import Any

from homolog import CheckError, Evidence, Target, check, fail
from homolog.counterparts.psc import PscControl

from ..psc_login import recorded_login

_B64URL_43 = re.compile(r"^[A-Za-z0-9_-]{43,128}$")


@check("security.psc.pkce_s256")
def pkce_s256(psc_ui: Any, psc_simulator: PscControl, target: Target, evidence: Evidence) -> None:
    """The PSC login uses PKCE with the S256 method, and the code is redeemed with its verifier."""
    login = recorded_login(psc_ui, psc_simulator, target, evidence)
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
