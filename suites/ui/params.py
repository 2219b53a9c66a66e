"""Parameters shared by the UI checks (the `with:` block of a referential), and the
keyboard walk the three keyboard checks share."""

from __future__ import annotations

from pydantic import Field

from homolog import CheckError, Evidence, Params, Target
from homolog.suites.ui.audit import DEFAULT_PAGES, PUBLIC_PAGES, attach_walk_screenshots, keyboard_walks
from homolog.suites.ui.keyboard_walk import KeyboardWalk
from homolog.suites.ui.session import UiSession

__all__ = ["KeyboardParams", "PagesParams", "RgaaCriterionParams", "pages_to_audit", "walks_for"]


class PagesParams(Params):
    """Which mapped pages to audit, and how to reach them."""

    # None: the target's `settings.ui.a11y_pages`, else login, patient_list, patient.
    pages: tuple[str, ...] | None = Field(default=None, min_length=1)
    # Pages audited logged out, before the form login (the login page itself).
    public_pages: tuple[str, ...] = PUBLIC_PAGES
    # Log in with the target's `web` form account before the other pages.
    login: bool = True


class RgaaCriterionParams(PagesParams):
    """An RGAA 4.1 criterion number ("1.1") and the pages to audit."""

    criterion: str = Field(pattern=r"^\d{1,2}\.\d{1,2}$")


class KeyboardParams(PagesParams):
    """Pages to walk with Tab, and a bound on key presses per page."""

    max_tabs: int = Field(default=200, ge=10, le=2000)


def pages_to_audit(params: PagesParams, target: Target) -> tuple[str, ...]:
    """The pages a check audits: its parameter, else the target's setting, else the default."""
    if params.pages:
        return params.pages
    configured = target.settings("ui").get("a11y_pages")
    if configured is None:
        return DEFAULT_PAGES
    if not isinstance(configured, list) or not configured or not all(isinstance(p, str) for p in configured):
        raise CheckError("settings.ui.a11y_pages of the target must be a list of page names")
    return tuple(configured)


def walks_for(ui: UiSession, params: KeyboardParams, evidence: Evidence) -> list[KeyboardWalk]:
    """The keyboard walks of the check's pages (cached per session), put in its evidence."""
    walks = keyboard_walks(
        ui,
        pages_to_audit(params, ui.target),
        public_pages=params.public_pages,
        login=params.login,
        max_tabs=params.max_tabs,
    )
    evidence.attach_json("keyboard-walks.json", [w.to_json() for w in walks])
    attach_walk_screenshots(evidence, walks)
    return walks
