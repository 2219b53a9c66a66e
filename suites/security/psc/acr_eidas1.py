"""Check `security.psc.acr_eidas1`: the PSC authorization request asks for the eIDAS substantial level."""

from __future__ import annotations

from typing import Any

from homolog import Evidence, Target, check, fail
from homolog.counterparts.psc import PscControl

from ..psc_login import recorded_login


@check("security.psc.acr_eidas1")
def acr_eidas1(psc_ui: Any, psc_simulator: PscControl, target: Target, evidence: Evidence) -> None:
    """The PSC authorization request asks for the eIDAS substantial level (acr_values=eidas1)."""
    login = recorded_login(psc_ui, psc_simulator, target, evidence)
    req = login.authorizations[0]
    acr = (req.get("acr_values") or "").split()
    if "eidas1" not in acr:
        fail(f"the authorization request sent acr_values={req.get('acr_values')!r}, expected eidas1")
