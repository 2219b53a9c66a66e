"""Check `ui.keyboard.no_trap`: Tab never gets stuck inside a part of a page."""

from __future__ import annotations

from homolog import Evidence, check, error, fail
from homolog.suites.ui.audit import PAGE_WORK
from homolog.suites.ui.params import KeyboardParams, held_message, pages_needs, walks_for
from homolog.suites.ui.session import UiSession


@check("ui.keyboard.no_trap", params=KeyboardParams, needs=pages_needs, together=PAGE_WORK)
def no_keyboard_trap(ui: UiSession, params: KeyboardParams, evidence: Evidence) -> None:
    """Keyboard focus is never trapped: it can always leave by Tab, Shift+Tab or Escape.

    Tab is pressed through each page. When Tab stays on one element for many presses, or
    cycles through a group without leaving the page, Shift+Tab, Escape, then Escape and
    Tab are tried: focus that none of them takes out of the group within a bounded number
    of presses is trapped. The parts of native composite controls (date and time inputs,
    media controls, frames) are not a trap, nor a group that Escape leaves (a modal
    dialog). A modal dialog that keeps Tab inside and that Escape does not close is
    undecidable (error): one of its buttons may close it, which only a person can tell.
    Reaching `max_tabs` without leaving the page is undecidable (error) too: the page may
    be very long or trap focus.
    """
    walks = walks_for(ui, params, evidence)
    traps = [f"page {w.page_name!r}: {' -> '.join(w.trap)}" for w in walks if w.trap]
    if traps:
        fail("keyboard focus is trapped: " + " | ".join(traps))
    for w in walks:
        if w.held_by:
            error(f"page {w.page_name!r}: {held_message(w)}; whether one of its controls closes it needs a person")
        if w.truncated:
            error(
                f"page {w.page_name!r}: focus did not leave the page within {params.max_tabs} "
                "Tab presses (raise max_tabs or check for a trap by hand)"
            )
