"""One patient login to the telemonitoring space, driven in Chromium through the identity provider.

As for the Pro Santé Connect login (``homolog.suites.security.psc_login``), the browser
carries a ticket cookie on the provider's origin, so the provider ties this login's
authorization and token requests to this check, and applies its misbehaviour only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from homolog import CheckError, Evidence, Target
from homolog.counterparts.psc import TICKET_COOKIE, PscControl, PscControlError

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
    try:
        ticket = idp.new_ticket(mode=mode)
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(idp.issuer))
    except PscControlError as exc:
        raise CheckError(str(exc)) from exc
    ui.context.add_cookies([{"name": TICKET_COOKIE, "value": ticket, "url": origin}])
    ui.goto("patient_login")
    start = ui.locator("patient_login", "start")
    if not start.count():
        raise CheckError("the patient_login page shows no 'start' locator: is patient login enabled on the SUT?")
    try:
        with ui.page.expect_navigation(wait_until="load"):
            start.first.click()
    except Exception as exc:
        raise CheckError(f"the patient login did not complete in the browser: {exc}") from exc
    final_url = ui.page.url
    try:
        auths = [r for r in idp.requests if r.get("ticket") == ticket]
        tokens = [t for t in idp.token_requests if t.get("ticket") == ticket]
    except PscControlError as exc:
        raise CheckError(str(exc)) from exc
    evidence.attach_json("idp-authorization-requests.json", auths)
    evidence.attach_json("idp-token-requests.json", tokens)
    if not auths:
        raise CheckError(
            f"the login did not bring the browser to the patient identity provider (ended at {final_url}); "
            "is the SUT configured with the provider's issuer?"
        )
    ui.goto("patient_space", expect_ok=False)
    patient = None
    if ui.at_page("patient_space"):
        name = ui.locator("patient_space", "patient_name")
        if name.count():
            patient = str(name.first.inner_text()).strip() or None
    return PatientLogin(auths, tokens, final_url, patient)
