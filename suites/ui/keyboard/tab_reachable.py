"""Check `ui.keyboard.tab_reachable`: every interactive element is reachable with Tab."""

from __future__ import annotations

import pytest

from homolog import Evidence, check, error, fail
from homolog.suites.ui.audit import PAGE_WORK
from homolog.suites.ui.params import KeyboardParams, held_message, pages_needs, unwalked_message, walks_for
from homolog.suites.ui.session import UiSession


@check("ui.keyboard.tab_reachable", params=KeyboardParams, needs=pages_needs, together=PAGE_WORK)
def tab_reachable(ui: UiSession, params: KeyboardParams, evidence: Evidence) -> None:
    """Every visible interactive element of the audited pages can be reached with Tab.

    Interactive means a link, button, form field, frame, summary, an element with a
    tabindex, an ARIA widget role or a click handler attribute, in the page or in the
    documents its frames show; elements with tabindex="-1", disabled (or within an
    `aria-disabled="true"` element), hidden or inert are left out. A page that opens on a
    modal dialog is walked behind it once Escape has closed it. Undecidable (error) when
    focus is trapped, when a modal dialog that Escape does not close holds it, when the walk
    hits `max_tabs` before a full pass, or when focus went into a frame out of the target's
    scope (not loaded: what it holds is unknown).
    """
    walks = walks_for(ui, params, evidence)
    if not any(w.candidates for w in walks):
        pytest.skip("no interactive element on the audited pages")
    for w in walks:
        if w.held_by:
            error(f"page {w.page_name!r}: {held_message(w)}; reachability of the page behind it unknown")
        if w.trap:
            error(f"page {w.page_name!r}: focus is trapped in {w.trap}; reachability unknown")
        if w.cycle and w.unreached():
            error(
                f"page {w.page_name!r}: Tab cycles in {w.cycle} (left by {w.escaped_by}); "
                "reachability of the rest unknown"
            )
        if w.truncated:
            error(f"page {w.page_name!r}: no full Tab pass within {params.max_tabs} presses")
    missing = [f"page {w.page_name!r}: {', '.join(w.unreached())}" for w in walks if w.unreached()]
    if missing:
        fail("interactive elements never reached with Tab: " + " | ".join(missing))
    for w in walks:
        if w.frames_not_walked:
            error(f"{unwalked_message(w)}; what they hold is not known")
