"""Check `ui.keyboard.no_trap`: Tab never gets stuck inside a part of a page."""

from __future__ import annotations

from homolog import Evidence, check, error, fail
from homolog.suites.ui.audit import attach_walk_screenshots, keyboard_walks
from homolog.suites.ui.params import KeyboardParams, pages_needs, pages_to_audit
from homolog.suites.ui.session import UiSession


@check("ui.keyboard.no_trap", params=KeyboardParams, needs=pages_needs)
def no_keyboard_trap(ui: UiSession, params: KeyboardParams, evidence: Evidence) -> None:
    """Keyboard focus is never trapped: repeated Tab goes round each page and back.

    A trap is an element other than the first Tab stop that gets focus a second time
    before focus has left the page (Tab does not move, or cycles inside a group); a loop
    back to the first stop is a full pass. Reaching `max_tabs` without leaving
    the page is undecidable (error): the page may be very long or trap focus.
    """
    walks = keyboard_walks(
        ui,
        pages_to_audit(params, ui.target),
        public_pages=params.public_pages,
        login=params.login,
        max_tabs=params.max_tabs,
    )
    evidence.attach_json("keyboard-walks.json", [w.to_json() for w in walks])
    attach_walk_screenshots(evidence, walks)
    traps = [f"page {w.page_name!r}: {' -> '.join(w.trap)}" for w in walks if w.trap]
    if traps:
        fail("keyboard focus is trapped: " + " | ".join(traps))
    for w in walks:
        if w.truncated:
            error(
                f"page {w.page_name!r}: focus did not leave the page within {params.max_tabs} "
                "Tab presses (raise max_tabs or check for a trap by hand)"
            )
