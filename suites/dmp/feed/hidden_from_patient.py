"""dmp.feed.hidden_from_patient: a document can be hidden from the patient in the DMP, then
made visible (after the announcement consultation)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homolog import Evidence, Target, check, fail
from homolog.counterparts.dmp import CONFIDENTIALITY_DMP_SYSTEM, DmpControl
from homolog.counterparts.soap import ControlError

from .._support import attach_submission, carries, errors_text, validate_and_watch

if TYPE_CHECKING:
    from homolog.suites.ui.session import UiSession

__all__ = ["hidden_from_patient"]

_HIDDEN = ("INVISIBLE_PATIENT", CONFIDENTIALITY_DMP_SYSTEM)
_TIMEOUT_MS = 15_000


def _codes(record: dict[str, Any], unique_id: str) -> list[tuple[Any, Any]]:
    docs = record.get("documents") or []
    entry: dict[str, Any] = next((d for d in docs if str(d.get("unique_id")).upper() == unique_id.upper()), {})
    return [(c.get("code"), c.get("scheme")) for c in entry.get("confidentiality") or []]


def _updates(dmp: DmpControl, since: int, unique_id: str, wait: float) -> list[dict[str, Any]]:
    try:
        return dmp.wait_for(since, lambda r: r.get("operation") == "update" and carries(r, unique_id), timeout=wait)
    except ControlError as exc:
        fail(f"the DMP simulator could not be read: {exc}")
    return []


@check("dmp.feed.hidden_from_patient")
def hidden_from_patient(ui: UiSession, dmp: DmpControl, target: Target, evidence: Evidence) -> None:
    """A document can be sent to the DMP hidden from the patient, then made visible to them.

    The document is validated in the UI for ``data.patient_qualified`` with "not visible
    by the patient" chosen: the DMP must register it with the confidentiality code
    ``INVISIBLE_PATIENT`` (code system 1.2.250.1.213.1.1.4.13). Then the document page's
    ``make_visible`` control (after the announcement consultation) must update the DMP
    (Update Document Set, ITI-57) with that code removed, and the DMP accept the update.
    """
    attempt = validate_and_watch(ui, dmp, target, patient="patient_qualified", hidden_from_patient=True)
    doc, delay = attempt.document, attempt.settings.send_delay_seconds
    if not attempt.submissions:
        fail(
            f"document {doc.unique_id} (hidden from the patient) did not reach the DMP within"
            f" {delay:g} s (page says {doc.dmp_status!r})"
        )
    record = attempt.submissions[-1]
    attach_submission(evidence, dmp, record)
    codes = _codes(record, doc.unique_id)
    if _HIDDEN not in codes:
        fail(
            f"document {doc.unique_id} was meant to be hidden from the patient but its confidentiality"
            f" codes are {codes}: the patient will see it in the DMP"
        )
    if record.get("outcome") != "Success":
        fail(
            f"the DMP refused the hidden document {doc.unique_id}, so it can never be made visible:"
            f" {errors_text(record)}"
        )
    page_url = ui.page.url  # the document's page, where the validation landed
    since = dmp.last_seq()

    def make_visible() -> None:
        again = ui.page.url != page_url  # done again after the session lapsed
        if again:  # back to the document
            ui.page.goto(page_url, wait_until="load", timeout=_TIMEOUT_MS)
        button = ui.locator("document", "make_visible")
        if not button.count():
            if again:
                # The lapse came after the click had gone through (the document made visible,
                # then the page after it found the session ended): the control is gone because
                # its work is done, and what reached the DMP decides, below.
                return
            ui.screenshot("no-make-visible")
            fail(f"the page of document {doc.unique_id} offers no way to make it visible to the patient")
        try:
            with ui.page.expect_navigation(wait_until="load", timeout=_TIMEOUT_MS):
                button.first.click(timeout=_TIMEOUT_MS)
        except Exception as exc:
            fail(f"making document {doc.unique_id} visible did not complete in the UI: {exc}")

    ui.in_session(make_visible, what=f"making document {doc.unique_id} visible")
    updates = _updates(dmp, since, doc.unique_id, delay)
    if not updates:
        fail(
            f"making document {doc.unique_id} visible sent no metadata update to the DMP within"
            f" {delay:g} s: the patient still cannot see it"
        )
    update = updates[-1]
    evidence.attach_json("dmp-update.json", update)
    if _HIDDEN in _codes(update, doc.unique_id):
        fail(f"the DMP update of document {doc.unique_id} still carries INVISIBLE_PATIENT")
    if update.get("outcome") != "Success":
        fail(f"the DMP refused to make document {doc.unique_id} visible: {errors_text(update)}")
