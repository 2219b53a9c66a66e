"""Check `ui.keyboard.focus_visible`: keyboard focus can be seen on each element."""

from __future__ import annotations

import pytest

from homolog import Evidence, check, error, fail
from homolog.suites.ui.audit import PAGE_WORK
from homolog.suites.ui.params import KeyboardParams, held_message, pages_needs, unwalked_message, walks_for
from homolog.suites.ui.session import UiSession


@check("ui.keyboard.focus_visible", params=KeyboardParams, needs=pages_needs, together=PAGE_WORK)
def focus_visible(ui: UiSession, params: KeyboardParams, evidence: Evidence) -> None:
    """The focused element is visibly marked on every element reached with Tab.

    For each Tab stop the computed style focused and unfocused are compared, once CSS
    transitions have run to their end (outline, box-shadow, border, background, colour,
    text decoration, of the element, its ::before/::after, its labels, its two nearest
    ancestors, the first elements it holds and its nearest siblings; when none of them
    changes, of what encloses it or comes within 16 px of it); a change counts when it
    comes back with focus (what leaving the element drew, a field checked on blur, does not);
    a stop where nothing visible changes fails. The contrast of each change is recorded in
    the evidence. An indicator drawn further away is not seen by this check: the evidence
    lists the stops so that an auditor can confirm. A page held
    by a modal dialog that Escape does not close is undecidable (error) beyond the dialog;
    so is focus in a frame out of the target's scope (the elements of the frames it loaded
    are stops of their own).
    """
    walks = walks_for(ui, params, evidence)
    if not any(w.stops for w in walks):
        if any(w.candidates for w in walks):
            error("Tab focused none of the interactive elements: focus visibility unknown")
        pytest.skip("no focusable element on the audited pages")
    hidden = [f"page {w.page_name!r}: {', '.join(w.without_indicator())}" for w in walks if w.without_indicator()]
    if hidden:
        fail("focus is not visible on: " + " | ".join(hidden))
    for w in walks:
        if w.held_by:
            error(f"page {w.page_name!r}: {held_message(w)}; focus on the page behind it was not seen")
        if w.frames_not_walked:
            error(f"{unwalked_message(w)}; focus inside them was not seen")
