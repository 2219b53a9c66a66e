"""documents.display.received_cda: a CDA document the system receives is shown readably."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from lxml import etree

from homolog import CheckError, Evidence, check, fail

from ..display_rules import display_problems, expected_display, raw_xml_shown, synthetic_document

if TYPE_CHECKING:
    from homolog.suites.ui.session import UiSession

__all__ = ["received_cda_displayed"]

_TIMEOUT_MS = 15_000
_SETTLE_MS = 5_000
# what is read of the display region: far above any readable report, bounded against an endless page
_MAX_SHOWN = 2_000_000


@check("documents.display.received_cda")
def received_cda_displayed(ui: UiSession, evidence: Evidence) -> None:
    """A CDA document the system receives is displayed readably: its header and every section's narrative.

    A synthetic laboratory report (new at every run) is imported the way the target says a
    received document enters the system: ``pages.document_import`` (locators ``file``, an
    ``<input type=file>``, and ``submit``), after which the system shows the document,
    in the region ``pages.document_received.locators.content``. That region's rendered
    text must show the document type, title, date, the patient's birth name, first given
    name, birth date and sex, the author's name, and the title and every narrative text
    of each section (nested ones included); XML markup shown as text means the document
    is printed raw, not displayed.
    """
    document = synthetic_document()
    evidence.attach_bytes("received-document.xml", document, media_type="application/xml")
    expected = expected_display(etree.fromstring(document))
    ui.login(landing=False)

    def import_document() -> Any:
        ui.goto("document_import")
        upload = ui.locator("document_import", "file")
        if not upload.count():
            raise CheckError(
                f"pages.document_import shows no file input ({ui.target.page('document_import').locator('file')})"
            )
        upload.first.set_input_files(
            {"name": "document-recu.xml", "mimeType": "text/xml", "buffer": document}, timeout=_TIMEOUT_MS
        )
        try:
            # A form posts and loads a new page; a single-page application may send the file
            # with a request and redraw in place: no navigation is assumed, the click waits for
            # one it starts, then the page's load and (briefly) its network settle.
            ui.locator("document_import", "submit").first.click(timeout=_TIMEOUT_MS)
            ui.page.wait_for_load_state("load", timeout=_TIMEOUT_MS)
        except Exception as exc:
            raise CheckError(f"importing the document in the UI did not complete: {exc}") from exc
        with contextlib.suppress(Exception):  # a page that keeps a connection open never idles
            ui.page.wait_for_load_state("networkidle", timeout=_SETTLE_MS)
        region = ui.locator("document_received", "content")
        if ui.at_login():  # the session lapsed: in_session logs in again
            return region
        try:
            region.first.wait_for(state="attached", timeout=_TIMEOUT_MS)
        except Exception:
            ui.screenshot("after-import")
            page_text = " ".join(ui.page.locator("body").inner_text(timeout=_TIMEOUT_MS).split())
            evidence.attach_text("after-import.txt", f"{ui.page.url}\n{page_text[:_MAX_SHOWN]}")
            raise CheckError(
                "after the import the page shows no document region (pages.document_received.locators.content"
                f" = {ui.target.page('document_received').locator('content')!r} matches nothing; see after-import.txt)"
            ) from None
        return region

    region = ui.in_session(import_document, what="importing the received document")
    shown = region.first.inner_text(timeout=_TIMEOUT_MS)[:_MAX_SHOWN]
    ui.screenshot("received-document-display")
    evidence.attach_text("received-document-display.txt", shown)
    markup = raw_xml_shown(shown)
    if markup is not None:
        fail(f"the received document is shown as raw XML (the page shows {markup!r} as text), not rendered for reading")
    problems = display_problems(shown, expected)
    if problems:
        evidence.attach_json(
            "received-document-missing.json", [{"problem": p, "looked_for": forms} for p, forms in problems]
        )
        fail("the received document's display is incomplete: " + "; ".join(p for p, _ in problems))
