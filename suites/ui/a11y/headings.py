"""Check `ui.a11y.headings`: the heading structure of RGAA 9.1, by homolog's own rule
(`outline.py`: levels not skipped, headings present where the page has sections)."""

from __future__ import annotations

import pytest

from homolog import Evidence, check, fail
from homolog.suites.ui.audit import PAGE_WORK, page_outlines
from homolog.suites.ui.outline import heading_problems
from homolog.suites.ui.params import PagesParams, pages_to_audit
from homolog.suites.ui.session import UiSession


@check("ui.a11y.headings", params=PagesParams, together=PAGE_WORK)
def headings(ui: UiSession, params: PagesParams, evidence: Evidence) -> None:
    """The audited pages structure their content with headings whose levels are not skipped.

    Each page is loaded (logged in when needed) and settled; its headings (`h1`-`h6`,
    `role="heading"`) are read in document order. A heading more than one level deeper
    than the previous one fails, and so does a page with sections but no heading. When
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
    if not any(o.headings for o in outlines):
        names = ", ".join(o.page_name for o in outlines)
        pytest.skip(f"RGAA 9.1: no heading and no section on {names}")
