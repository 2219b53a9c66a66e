"""Check `ui.a11y.headings`: the heading structure of RGAA 9.1, by homolog's own rule
(`outline.py`: levels not skipped, headings present where the page has sections)."""

from __future__ import annotations

import pytest

from homolog import Evidence, check, error, fail
from homolog.suites.ui.audit import PAGE_WORK, page_outlines
from homolog.suites.ui.outline import heading_problems
from homolog.suites.ui.params import PagesParams, pages_to_audit
from homolog.suites.ui.session import UiSession


@check("ui.a11y.headings", params=PagesParams, together=PAGE_WORK)
def headings(ui: UiSession, params: PagesParams, evidence: Evidence) -> None:
    """The audited pages structure their content with headings whose levels are not skipped.

    Each page is loaded (logged in when needed) and settled; its headings (`h1`-`h6`,
    `role="heading"`) are read in document order, and those of each document its frames
    show, judged on their own. A heading more than one level deeper than the previous one
    fails, and so does a page (or framed document) with sections but no heading; a frame
    the browser did not load (out of the target's scope) leaves the check undecided. When
    no audited page has a heading nor a section, there is nothing to judge (skipped).
    Whether the headings' texts are relevant is for the auditor.
    """
    outlines = page_outlines(
        ui, pages_to_audit(params, ui.target), public_pages=params.public_pages, login=params.login
    )
    evidence.attach_json("headings.json", [o.to_json() for o in outlines])
    found = [f"page {o.page_name!r}: {p}" for o in outlines for p in heading_problems(o)]
    if found:
        fail("RGAA 9.1 is not met: " + " | ".join(found))
    unread = [f"page {o.page_name!r}: {', '.join(o.unread_frames)}" for o in outlines if o.unread_frames]
    if unread:
        error(
            "RGAA 9.1: the headings of these frames could not be read (a frame out of the target's scope "
            "is not loaded by the browser): " + " | ".join(unread)
        )
    if not any(o.any_headings for o in outlines):
        names = ", ".join(o.page_name for o in outlines)
        pytest.skip(f"RGAA 9.1: no heading and no section on {names}")
