"""dmp.feed.objection_respected: a document the patient objected to is not sent."""

from __future__ import annotations

from typing import Any

from homolog import Evidence, Target, check, fail

from ._support import attach_submission, dmp_control, dmp_settings, submissions_for, validate_document

__all__ = ["objection_respected"]


@check("dmp.feed.objection_respected")
def objection_respected(ui: Any, target: Target, evidence: Evidence) -> None:
    """A document the patient objected to sending is not sent to the DMP.

    The document is validated in the UI for ``data.patient_qualified`` with the patient's
    objection recorded; the DMP simulator must receive nothing carrying it within
    ``settings.dmp.send_delay_seconds``.
    """
    dmp = dmp_control(target)
    settings = dmp_settings(target)
    patient_id = str(target.datum("patient_qualified"))
    since = dmp.last_seq()
    doc = validate_document(ui, patient_id, patient_objection=True)
    found = submissions_for(dmp, since, doc.unique_id, wait=settings.send_delay_seconds)
    if found:
        attach_submission(evidence, dmp, found[-1])
        fail(
            f"document {doc.unique_id} was sent to the DMP although the patient objected"
            f" ({len(found)} submission(s); page says {doc.dmp_status!r})"
        )
