"""dmp.history.qualified_ins_only: no document goes to the DMP without a qualified INS."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homolog import CheckError, Evidence, HttpClient, Target, check, fail
from homolog.counterparts.dmp import DmpControl

from .._support import attach_submission, read_patient, validate_and_watch

if TYPE_CHECKING:
    from homolog.suites.ui.session import UiSession

__all__ = ["qualified_ins_only"]

_EXT_RELIABILITY = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"


def _qualified(patient: Any) -> bool | None:
    """Whether a FR Core Patient is qualified (identityStatus VALI), None when unreadable."""
    if not isinstance(patient, dict):
        return None
    for ext in patient.get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == _EXT_RELIABILITY:
            for sub in ext.get("extension") or []:
                if isinstance(sub, dict) and sub.get("url") == "identityStatus":
                    return bool((sub.get("valueCoding") or {}).get("code") == "VALI")
    return None


@check("dmp.history.qualified_ins_only")
def qualified_ins_only(ui: UiSession, dmp: DmpControl, http: HttpClient, target: Target, evidence: Evidence) -> None:
    """Documents of a patient whose identity is not qualified are not sent to the DMP.

    A document is validated in the UI for ``data.patient_unqualified`` (an identity the
    system holds without the qualified status); the DMP simulator must receive nothing
    carrying it within ``settings.dmp.send_delay_seconds``.
    """
    patient_id = str(target.datum("patient_unqualified"))
    qualified = _qualified(read_patient(http, patient_id))
    if qualified is None:
        raise CheckError(f"cannot read the identity status of Patient/{patient_id} (data.patient_unqualified)")
    if qualified:
        raise CheckError(f"data.patient_unqualified (Patient/{patient_id}) is qualified on the system: fix the target")
    attempt = validate_and_watch(ui, dmp, target, patient="patient_unqualified")
    if attempt.submissions:
        sent = attempt.submissions[-1]
        attach_submission(evidence, attempt.dmp, sent)
        fail(
            f"document {attempt.document.unique_id} of Patient/{patient_id}, whose identity is not qualified,"
            f" was sent to the DMP ({sent.get('outcome')}; page says {attempt.document.dmp_status!r})"
        )
