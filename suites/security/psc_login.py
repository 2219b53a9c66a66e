"""One Pro Santé Connect login through the SUT's web UI, driven in Chromium.

The browser carries a ticket cookie on the simulator's origin, so the simulator can tie
the authorization and token requests of this login to this check (and apply this
check's misbehaviour only), even when checks run in parallel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from homolog import CheckError, Evidence, Target
from homolog.counterparts.psc import TICKET_COOKIE, PscControl, PscControlError

__all__ = [
    "PscLogin",
    "current_user",
    "provider_control",
    "psc_login",
    "recorded_login",
    "sound_login",
    "ticketed_login",
]


@dataclass(frozen=True)
class PscLogin:
    """What one PSC login produced."""

    authorizations: list[dict[str, Any]]
    tokens: list[dict[str, Any]]
    final_url: str
    user: str | None  # text of the home page's current_user, None when not logged in


def current_user(ui: Any, *, here: bool = False) -> str | None:
    """Text of ``pages.home.locators.current_user`` when a session is open, else None.

    With ``here``, the current page is read first (most pages show the user); the home
    page is opened only when it does not, so "no user" is always judged on the home page.
    """
    if here:
        loc = ui.page.locator(ui.target.page("home").locator("current_user"))
        if loc.count():
            text = loc.first.inner_text().strip()
            if text:
                return str(text)
    ui.goto("home", expect_ok=False)
    if not ui.at_page("home"):
        return None
    loc = ui.locator("home", "current_user")
    if not loc.count():
        return None
    text = str(loc.first.inner_text()).strip()
    return text or None


def provider_control(target: Target, domain: str, name: str) -> PscControl:
    """The control client of the OpenID provider simulator recorded as ``settings.<domain>.<name>``.

    The run records a started simulator there (``issuer``, ``control_url``) and declares its
    issuer as ``base_urls.<name>``; a missing record, an issuer other than the SUT's, or a
    provider out of the target's scope leave the check undecided (CheckError).
    """
    declared = target.settings(domain).get(name) or {}
    control_url = declared.get("control_url") if isinstance(declared, dict) else None
    if not control_url:
        raise CheckError(
            f"the target declares no settings.{domain}.{name}.control_url: declare the simulator under "
            f"counterparts: ({name}) in the target (homolog run starts it), or start it before the SUT "
            "and record it (homolog.counterparts.declare)"
        )
    try:
        control = PscControl(str(control_url))
        issuer = control.issuer
    except PscControlError as exc:
        raise CheckError(str(exc)) from exc
    if declared.get("issuer") and declared["issuer"] != issuer:
        raise CheckError(
            f"the SUT is configured with issuer {declared['issuer']}, the simulator at "
            f"{control_url} serves {issuer}: they must match"
        )
    if not target.in_scope(issuer):
        raise CheckError(f"the simulator {issuer} is not among the target's hosts: declare it as base_urls.{name}")
    return control


def psc_login(
    ui: Any,
    psc: PscControl,
    target: Target,
    *,
    mode: str | None = None,
    login_as: str | None = None,
) -> PscLogin:
    """Click the login page's ``psc_button`` and follow the whole code flow."""
    auths, tokens, final_url = ticketed_login(
        ui, psc, ("login", "psc_button"), what="the PSC login", mode=mode, login_as=login_as
    )
    return PscLogin(auths, tokens, final_url, current_user(ui, here=True))


def ticketed_login(
    ui: Any,
    provider: PscControl,
    start: tuple[str, str],
    *,
    what: str,
    mode: str | None = None,
    login_as: str | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    """Click ``start`` (page, locator) with this browser's ticket on the provider; its records.

    Returns the authorization and token requests the provider recorded for this browser and
    the URL the browser ended at. Used for any provider built on the PSC simulator.
    """
    try:
        ticket = provider.new_ticket(mode=mode, login_as=login_as)
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(provider.issuer))
    except PscControlError as exc:
        raise CheckError(str(exc)) from exc
    ui.context.add_cookies([{"name": TICKET_COOKIE, "value": ticket, "url": origin}])
    page, locator = start
    ui.goto(page)
    button = ui.locator(page, locator)
    if not button.count():
        raise CheckError(f"the {page} page shows no {locator}: is {what} enabled on the SUT?")
    try:
        with ui.page.expect_navigation(wait_until="load"):
            button.first.click()
    except Exception as exc:
        raise CheckError(f"{what} did not complete in the browser: {exc}") from exc
    final_url = ui.page.url
    try:
        auths = [r for r in provider.requests if r.get("ticket") == ticket]
        tokens = [t for t in provider.token_requests if t.get("ticket") == ticket]
    except PscControlError as exc:
        raise CheckError(str(exc)) from exc
    if not auths:
        raise CheckError(
            f"the {locator} of the {page} page did not bring the browser to the provider (ended at "
            f"{final_url}); is the SUT configured with the provider's issuer?"
        )
    return auths, tokens, final_url


def sound_login(ui: Any, psc: PscControl, target: Target) -> PscLogin:
    """A PSC login without misbehaviour, done once per session for a given SUT.

    Several checks only read what the SUT sent during an ordinary login (acr_values,
    PKCE, state, response_type): they share one, kept in the browser manager's cache
    (which lives as long as the pytest session).
    """
    key = ("security.psc.sound_login", str(target.path), psc.control_url)
    cached = ui.manager.cache.get(key)
    if cached is None:
        cached = psc_login(ui, psc, target)
        ui.manager.cache[key] = cached
    return cached  # type: ignore[no-any-return]


def recorded_login(
    psc_ui: Any,
    psc_simulator: PscControl,
    target: Target,
    evidence: Evidence,
    *,
    fresh: bool = False,
) -> PscLogin:
    """A PSC login (reused unless `fresh`), its authorization and token requests attached as evidence."""
    login = psc_login(psc_ui, psc_simulator, target) if fresh else sound_login(psc_ui, psc_simulator, target)
    evidence.attach_json("psc-authorization-requests.json", login.authorizations)
    evidence.attach_json("psc-token-requests.json", login.tokens)
    return login
