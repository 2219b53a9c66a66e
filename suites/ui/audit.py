"""Visiting mapped pages for audits, with one audit per page and session.

Thirty RGAA criteria judged on three pages would otherwise mean ninety page loads and
axe runs; within one run the SUT is in one state, so the first check that needs a page
audits it (axe, or the keyboard walk) and later checks of the session read the cached
result. The cache lives in the session's BrowserManager and is keyed by target file,
page and URL. It is a process's: the checks that read it are declared together
(`PAGE_WORK`), so that a run with xdist workers gives all their cases to one worker
instead of each worker auditing the pages again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from homolog import CheckError, Evidence
from homolog.suites.ui.axe import AXE_VERSION, PageAudit, find_axe_js, run_axe
from homolog.suites.ui.keyboard_walk import KeyboardWalk, walk_keyboard
from homolog.suites.ui.outline import Outline, read_outline
from homolog.suites.ui.session import UiSession, bounded_screenshot

__all__ = [
    "DEFAULT_PAGES",
    "PAGE_WORK",
    "PUBLIC_PAGES",
    "attach_walk_screenshots",
    "axe_audits",
    "keyboard_walks",
    "page_outlines",
    "visit_pages",
]

# Pages of the reference system's map (the defaults of earlier versions, kept for callers).
DEFAULT_PAGES = ("login", "patient_list", "patient")
PUBLIC_PAGES = ("login",)

# The `together` group (`homolog.check`) of the checks reading the audits and walks below.
PAGE_WORK = "ui-page-audits"

T = TypeVar("T")


def public_pages_of(ui: UiSession, pages: Sequence[str]) -> tuple[str, ...]:
    """The pages a visitor sees without logging in, by the page map (`Target.page_auth`)."""
    return tuple(p for p in pages if ui.target.page_auth(p) is None)


def _auth_of(ui: UiSession, page: str) -> str:
    return ui.target.page_auth(page) or "web"


def _sent_to_login(ui: UiSession, name: str, public: Sequence[str]) -> bool:
    if not ui.at_page(name):
        return any(ui.at_page(p) for p in public)
    return name not in public and ui.shows_login_form()


def visit_pages(
    ui: UiSession,
    pages: Sequence[str],
    action: Callable[[str], T],
    *,
    public_pages: Sequence[str] | None = None,
    login: bool = True,
) -> dict[str, T]:
    """Open each mapped page in `ui` and call `action(page_name)` on it.

    Public pages (the login form, by default those the page map says are public) are
    visited first, logged out; then the session logs in with the auth entry that opens
    the other pages, whatever its kind. A page that redirects elsewhere (e.g. back to the
    login form), or shows the login form where the page map expects other content (a
    single-page application's login wall), is an error: auditing the wrong page would
    give a verdict about something else. Each page is settled first, and one that shows
    nothing is an error (`UiSession.goto`).
    """
    if public_pages is None:
        public_pages = public_pages_of(ui, pages)
    ordered = [p for p in pages if p in public_pages] + [p for p in pages if p not in public_pages]
    results: dict[str, T] = {}
    logged_in: str | None = None
    for name in ordered:
        if (
            name not in public_pages
            and login
            and logged_in != _auth_of(ui, name)
            and ui.target.auth(_auth_of(ui, name))
        ):
            logged_in = _auth_of(ui, name)
            ui.login(auth=logged_in, landing=False)
        ui.goto(name)
        if logged_in and _sent_to_login(ui, name, public_pages):
            # the SUT's inactivity timeout ended the session while earlier pages were
            # audited (the demo's is 3 s): log in again, as an auditor would, and retry once
            ui.login(auth=logged_in, landing=False)
            ui.goto(name)
        if not ui.at_page(name):
            raise CheckError(f"page {name!r} ({ui.url(name)}) redirected to {ui.page.url}: cannot audit it")
        if name not in public_pages and ui.shows_login_form():
            raise CheckError(
                f"page {name!r} ({ui.page.url}) shows the login form instead of its content "
                "(login wall): cannot audit it"
            )
        results[name] = action(name)
    return results


def _cached(
    ui: UiSession,
    kind: str,
    pages: Sequence[str],
    run: Callable[[str], Any],
    *,
    public_pages: Sequence[str] | None,
    login: bool,
) -> dict[str, Any]:
    def key(name: str) -> tuple[str, ...]:
        return (kind, str(ui.target.path), name, ui.url(name), str(login))

    cache = ui.manager.cache
    missing = [p for p in pages if key(p) not in cache]
    if missing:
        fresh = visit_pages(ui, missing, run, public_pages=public_pages, login=login)
        for name, value in fresh.items():
            cache[key(name)] = value
    return {p: cache[key(p)] for p in pages}


def axe_audits(
    ui: UiSession,
    pages: Sequence[str],
    *,
    public_pages: Sequence[str] | None = None,
    login: bool = True,
) -> list[PageAudit]:
    """axe results for each page (cached per session), with a screenshot of each page."""

    axe_js = ui.target.settings("ui").get("axe_js")
    _, source = find_axe_js(axe_js)
    ui.omit_from_trace(source, f"axe-core {AXE_VERSION} source")

    def run(name: str) -> PageAudit:
        # The heading outline is read on the same settled page, before axe adds its own
        # nodes: the heading check then costs no page load of its own.
        outline = read_outline(ui.page, name)
        audit = run_axe(ui.page, name, axe_js=axe_js)
        audit.outline = outline
        settle = ui.settled.get(name)
        audit.settle = settle.to_json() if settle else None
        # Only a page with a violation or an undecided rule can make a criterion fail or
        # err, and only then is its screenshot attached: skip the cost on clean pages.
        if any(r.outcome in ("violation", "incomplete") for r in audit.rules.values()):
            audit.screenshot = bounded_screenshot(ui.page)
        return audit

    found = _cached(ui, "axe", pages, run, public_pages=public_pages, login=login)
    return [found[p] for p in pages]


def page_outlines(
    ui: UiSession,
    pages: Sequence[str],
    *,
    public_pages: Sequence[str] | None = None,
    login: bool = True,
) -> list[Outline]:
    """The heading outline of each page, read during its (cached) axe audit."""
    outlines = []
    for audit in axe_audits(ui, pages, public_pages=public_pages, login=login):
        if not isinstance(audit.outline, Outline):
            raise CheckError(f"page {audit.page_name!r}: its heading outline was not read")
        outlines.append(audit.outline)
    return outlines


def keyboard_walks(
    ui: UiSession,
    pages: Sequence[str],
    *,
    public_pages: Sequence[str] | None = None,
    login: bool = True,
    max_tabs: int = 200,
) -> list[KeyboardWalk]:
    """Keyboard walks of each page (cached per session)."""

    def run(name: str) -> KeyboardWalk:
        walk = walk_keyboard(ui.page, name, max_tabs=max_tabs)
        settle = ui.settled.get(name)
        walk.settle = settle.to_json() if settle else None
        if walk.has_findings:
            walk.screenshot = bounded_screenshot(ui.page)
        return walk

    found = _cached(ui, f"keyboard-{max_tabs}", pages, run, public_pages=public_pages, login=login)
    return [found[p] for p in pages]


def attach_walk_screenshots(evidence: Evidence, walks: Sequence[KeyboardWalk]) -> None:
    """Attach the screenshot of every walked page where something was found."""
    for w in walks:
        if w.screenshot:
            evidence.attach_bytes(f"screenshot-{w.page_name}.png", w.screenshot, media_type="image/png")
