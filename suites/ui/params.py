"""Parameters shared by the UI checks (the `with:` block of a referential), and the
keyboard walk the three keyboard checks share."""

from __future__ import annotations

from pydantic import Field

from homolog import CheckError, Evidence, Needs, Params, Target
from homolog.suites.ui.audit import attach_walk_screenshots, keyboard_walks
from homolog.suites.ui.keyboard_walk import KeyboardWalk
from homolog.suites.ui.session import UiSession

__all__ = [
    "KeyboardParams",
    "PagesParams",
    "RgaaCriterionParams",
    "held_message",
    "pages_needs",
    "pages_to_audit",
    "walks_for",
]


class PagesParams(Params):
    """Which mapped pages to audit, and how to reach them."""

    # None: the target's `settings.ui.a11y_pages`, else every page of the page map not
    # marked `audit: false`.
    pages: tuple[str, ...] | None = Field(default=None, min_length=1)
    # Pages audited logged out, before the login. None: the pages the page map says are
    # public (the login page, pages with `auth: none`).
    public_pages: tuple[str, ...] | None = None
    # Log in (with the auth entry that opens each page, any kind) before the other pages.
    login: bool = True


class RgaaCriterionParams(PagesParams):
    """An RGAA 4.1 criterion number ("1.1") and the pages to audit."""

    criterion: str = Field(pattern=r"^\d{1,2}\.\d{1,2}$")


class KeyboardParams(PagesParams):
    """Pages to walk with Tab, and a bound on key presses per page."""

    max_tabs: int = Field(default=200, ge=10, le=2000)


def pages_needs(params: PagesParams) -> Needs:
    """A page audit needs the web base and the pages it names."""
    return Needs(bases=("web",), pages=tuple(dict.fromkeys((*(params.pages or ()), *(params.public_pages or ())))))


def pages_to_audit(params: PagesParams, target: Target) -> tuple[str, ...]:
    """The pages a check audits: its parameter, else the target's setting, else the page map."""
    if params.pages:
        return params.pages
    configured = target.settings("ui").get("a11y_pages")
    if configured is None:
        pages = target.audited_pages()
        if not pages:
            raise CheckError("the target has no page map (pages:) to audit: declare its pages")
        return pages
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


def unwalked_message(walk: KeyboardWalk) -> str:
    """What a walk could not see in frames it could not enter, for a check's message."""
    frames = ", ".join(walk.frames_not_walked)
    return (
        f"page {walk.page_name!r}: frames the walk could not enter: {frames} (a frame out of the target's "
        "scope is not loaded by the browser: declare its origin in the target's base_urls to walk it)"
    )


def held_message(walk: KeyboardWalk) -> str:
    """What a walk held in a modal dialog could not do, for a check's message."""
    return f"a modal dialog ({walk.held_by}) keeps focus and Escape does not close it"
