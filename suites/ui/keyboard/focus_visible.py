"""Check `ui.keyboard.focus_visible`: keyboard focus can be seen on each element."""

from __future__ import annotations

import pytest

from homolog import Evidence, check, error, fail
from homolog.suites.ui.audit import attach_walk_screenshots, keyboard_walks
from homolog.suites.ui.params import KeyboardParams, pages_needs, pages_to_audit
from homolog.suites.ui.session import UiSession


@check("ui.keyboard.focus_visible", params=KeyboardParams, needs=pages_needs)
def focus_visible(ui: UiSession, params: KeyboardParams, evidence: Evidence) -> None:
    """The focused element is visibly marked on every element reached with Tab.

    For each Tab stop the element's computed style focused and unfocused are compared
    (outline, box-shadow, border, background, colour, text decoration); a stop where
    nothing visible changes fails. An indicator drawn by another element is not seen by
    this check: the evidence lists the stops so that an auditor can confirm.
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
    if not any(w.stops for w in walks):
        if any(w.candidates for w in walks):
            error("Tab focused none of the interactive elements: focus visibility unknown")
        pytest.skip("no focusable element on the audited pages")
    hidden = [f"page {w.page_name!r}: {', '.join(w.without_indicator())}" for w in walks if w.without_indicator()]
    if hidden:
        fail("focus is not visible on: " + " | ".join(hidden))
