"""dmp.feed.accepted: a validated document reaches the DMP and the DMP accepts it."""

from __future__ import annotations

from typing import Any

from homolog import CheckError, Evidence, Target, check, fail

from ._support import attach_submission, errors_text, read_patient, unreadable_since, validate_and_watch

__all__ = ["document_fed", "ins_of"]

_INS_OIDS = ("1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11")


def ins_of(patient: Any) -> tuple[str, str] | None:
    """(OID, INS) of a FHIR Patient's official INS identifier, if it exposes one."""
    for ident in patient.get("identifier") or [] if isinstance(patient, dict) else []:
        system = str(ident.get("system") or "") if isinstance(ident, dict) else ""
        oid = system.removeprefix("urn:oid:")
        if oid in _INS_OIDS and isinstance(ident.get("value"), str):
            return oid, ident["value"]
    return None


@check("dmp.feed.accepted")
def document_fed(ui: Any, http: Any, target: Target, evidence: Evidence) -> None:
    """A document validated for a patient with a qualified INS is sent to the DMP, which accepts it.

    The document is validated in the UI for ``data.patient_qualified``; the DMP simulator
    must receive a Provide and Register Document Set-b carrying it within
    ``settings.dmp.send_delay_seconds``, identify the patient by their INS under its OID,
    and accept it: metadata as the DMP integration guide profiles them, CDA conformant.
    """
    patient_id = str(target.datum("patient_qualified"))
    ins = ins_of(read_patient(http, patient_id))
    if ins is None:
        raise CheckError(
            f"Patient/{patient_id} (data.patient_qualified) exposes no INS: cannot tell whom the DMP must see"
        )
    attempt = validate_and_watch(ui, target, patient="patient_qualified")
    doc, delay = attempt.document, attempt.settings.send_delay_seconds
    if not attempt.submissions:
        refused = unreadable_since(attempt.dmp, attempt.since)
        fail(
            f"document {doc.unique_id} validated for Patient/{patient_id} did not reach the DMP within"
            f" {delay:g} s (page says {doc.dmp_status!r})"
            + (f"; the DMP could not read {len(refused)} message(s): {' | '.join(refused)}" if refused else "")
        )
    record = attempt.submissions[-1]
    attach_submission(evidence, attempt.dmp, record)
    entry = next(d for d in record.get("documents") or [] if str(d.get("unique_id")).upper() == doc.unique_id.upper())
    problems = []
    expected = f"{ins[1]}^^^&{ins[0]}&ISO"
    if not str(entry.get("patient_id") or "").startswith(expected):
        problems.append(f"patientId is {entry.get('patient_id')!r}, the patient's INS is {expected}^NH")
    if record.get("outcome") != "Success":
        problems.append(f"the DMP refused the submission: {errors_text(record)}")
    cda = entry.get("cda") or {}
    if not problems and not cda.get("validated"):
        raise CheckError(f"the DMP simulator could not validate the CDA: {cda.get('reason')}")
    if problems:
        fail(f"document {doc.unique_id} for Patient/{patient_id}: " + "; ".join(problems))
