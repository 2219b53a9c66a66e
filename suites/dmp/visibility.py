"""dmp.feed.hidden_from_patient: a document hidden from the patient is sent as such."""

from __future__ import annotations

from typing import Any

from homolog import Evidence, Target, check, fail
from homolog.counterparts.dmp import CONFIDENTIALITY_DMP_SYSTEM

from ._support import attach_submission, dmp_control, dmp_settings, errors_text, submissions_for, validate_document

__all__ = ["hidden_from_patient"]


@check("dmp.feed.hidden_from_patient")
def hidden_from_patient(ui: Any, target: Target, evidence: Evidence) -> None:
    """A document the professional hides from the patient reaches the DMP as not visible to the patient.

    The document is validated in the UI for ``data.patient_qualified`` with "not visible
    by the patient" chosen; the submission must carry the confidentiality code
    ``INVISIBLE_PATIENT`` (code system 1.2.250.1.213.1.1.4.13) and be accepted.
    """
    dmp = dmp_control(target)
    settings = dmp_settings(target)
    patient_id = str(target.datum("patient_qualified"))
    since = dmp.last_seq()
    doc = validate_document(ui, patient_id, hidden_from_patient=True)
    found = submissions_for(dmp, since, doc.unique_id, wait=settings.send_delay_seconds)
    if not found:
        fail(
            f"document {doc.unique_id} (hidden from the patient) did not reach the DMP within"
            f" {settings.send_delay_seconds:g} s (page says {doc.dmp_status!r})"
        )
    record = found[-1]
    attach_submission(evidence, dmp, record)
    entry = next(d for d in record.get("documents") or [] if str(d.get("unique_id")).upper() == doc.unique_id.upper())
    codes = [(c.get("code"), c.get("scheme")) for c in entry.get("confidentiality") or []]
    if ("INVISIBLE_PATIENT", CONFIDENTIALITY_DMP_SYSTEM) not in codes:
        fail(
            f"document {doc.unique_id} was meant to be hidden from the patient but its confidentiality"
            f" codes are {codes}: the patient will see it in the DMP"
        )
    if record.get("outcome") != "Success":
        fail(f"the DMP refused the hidden document {doc.unique_id}: {errors_text(record)}")
