"""dmp.history.qualified_ins_only: no document goes to the DMP without a qualified INS."""

from __future__ import annotations

from typing import Any

from homolog import CheckError, Evidence, Target, check, fail

from ._support import attach_submission, dmp_control, dmp_settings, read_patient, submissions_for, validate_document

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
def qualified_ins_only(ui: Any, http: Any, target: Target, evidence: Evidence) -> None:
    """Documents of a patient whose identity is not qualified are not sent to the DMP.

    A document is validated in the UI for ``data.patient_unqualified`` (an identity the
    system holds without the qualified status); the DMP simulator must receive nothing
    carrying it within ``settings.dmp.send_delay_seconds``.
    """
    dmp = dmp_control(target)
    settings = dmp_settings(target)
    patient_id = str(target.datum("patient_unqualified"))
    qualified = _qualified(read_patient(http, patient_id))
    if qualified is None:
        raise CheckError(f"cannot read the identity status of Patient/{patient_id} (data.patient_unqualified)")
    if qualified:
        raise CheckError(f"data.patient_unqualified (Patient/{patient_id}) is qualified on the system: fix the target")
    since = dmp.last_seq()
    doc = validate_document(ui, patient_id)
    found = submissions_for(dmp, since, doc.unique_id, wait=settings.send_delay_seconds)
    if found:
        attach_submission(evidence, dmp, found[-1])
        fail(
            f"document {doc.unique_id} of Patient/{patient_id}, whose identity is not qualified, was sent to"
            f" the DMP ({found[-1].get('outcome')}; page says {doc.dmp_status!r})"
        )
