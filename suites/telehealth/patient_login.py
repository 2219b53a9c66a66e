"""One patient login to the telemonitoring space, driven in Chromium through the identity provider.

As for the Pro Santé Connect login (``homolog.suites.security.psc_login``), the browser
carries a ticket cookie on the provider's origin, so the provider ties this login's
authorization and token requests to this check, and applies its misbehaviour only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homolog import Evidence, Target
from homolog.counterparts.psc import PscControl
from homolog.suites.security.psc_login import ticketed_login

__all__ = ["PatientLogin", "patient_login"]


@dataclass(frozen=True)
class PatientLogin:
    """What one patient login produced."""

    authorizations: list[dict[str, Any]]
    tokens: list[dict[str, Any]]
    final_url: str
    patient: str | None  # the patient name the patient space shows, None when it shows none


def patient_login(
    ui: Any, idp: PscControl, target: Target, evidence: Evidence, *, mode: str | None = None
) -> PatientLogin:
    """Start the login from the ``patient_login`` page, follow the code flow, then open ``patient_space``."""
    auths, tokens, final_url = ticketed_login(ui, idp, ("patient_login", "start"), what="patient login", mode=mode)
    evidence.attach_json("idp-authorization-requests.json", auths)
    evidence.attach_json("idp-token-requests.json", tokens)
    ui.goto("patient_space", expect_ok=False)
    patient = None
    if ui.at_page("patient_space"):
        name = ui.locator("patient_space", "patient_name")
        if name.count():
            patient = str(name.first.inner_text()).strip() or None
    return PatientLogin(auths, tokens, final_url, patient)
