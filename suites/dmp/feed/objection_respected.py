"""dmp.feed.objection_respected: a document the patient objected to is not sent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homolog import Evidence, Target, check, fail
from homolog.counterparts.dmp import DmpControl

from .._support import attach_submission, validate_and_watch

if TYPE_CHECKING:
    from homolog.suites.ui.session import UiSession

__all__ = ["objection_respected"]


@check("dmp.feed.objection_respected")
def objection_respected(ui: UiSession, dmp: DmpControl, target: Target, evidence: Evidence) -> None:
    """A document the patient objected to sending is not sent to the DMP.

    The document is validated in the UI for ``data.patient_qualified`` with the patient's
    objection recorded; the DMP simulator must receive nothing carrying it within
    ``settings.dmp.send_delay_seconds``.
    """
    attempt = validate_and_watch(ui, dmp, target, patient="patient_qualified", patient_objection=True)
    if attempt.submissions:
        attach_submission(evidence, attempt.dmp, attempt.submissions[-1])
        fail(
            f"document {attempt.document.unique_id} was sent to the DMP although the patient objected"
            f" ({len(attempt.submissions)} submission(s); page says {attempt.document.dmp_status!r})"
        )
