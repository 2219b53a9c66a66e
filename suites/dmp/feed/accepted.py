"""dmp.feed.accepted: a validated document reaches the DMP and the DMP accepts it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homolog import CheckError, Evidence, HttpClient, Target, check, fail
from homolog.counterparts.dmp import DmpControl
from homolog.suites.documents.schematron import SchematronError
from homolog.suites.documents.target_validator import validator_for
from homolog.suites.documents.validator import DocumentError

from .._support import attach_submission, errors_text, ins_of, read_patient, unreadable_since, validate_and_watch

if TYPE_CHECKING:
    from homolog.suites.ui.session import UiSession

__all__ = ["cda_problems", "document_fed"]

_MAX_LISTED = 10


@check("dmp.feed.accepted")
def document_fed(ui: UiSession, dmp: DmpControl, http: HttpClient, target: Target, evidence: Evidence) -> None:
    """A document validated for a patient with a qualified INS is sent to the DMP, which accepts it.

    The document is validated in the UI for ``data.patient_qualified``; the DMP simulator
    must receive a Provide and Register Document Set-b carrying it within
    ``settings.dmp.send_delay_seconds``, identify the patient by their INS under its OID,
    and accept it: metadata as the DMP integration guide profiles them; the CDA it
    received must pass the CDA XSD and its volet's CI-SIS schematron.
    """
    patient_id = str(target.datum("patient_qualified"))
    ins = ins_of(read_patient(http, patient_id))
    if ins is None:
        raise CheckError(
            f"Patient/{patient_id} (data.patient_qualified) exposes no INS: cannot tell whom the DMP must see"
        )
    attempt = validate_and_watch(ui, dmp, target, patient="patient_qualified")
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
    docs = record.get("documents") or []
    index = next(n for n, d in enumerate(docs) if str(d.get("unique_id")).upper() == doc.unique_id.upper())
    entry = docs[index]
    problems = []
    expected = f"{ins[1]}^^^&{ins[0]}&ISO"
    if not str(entry.get("patient_id") or "").startswith(expected):
        problems.append(f"patientId is {entry.get('patient_id')!r}, the patient's INS is {expected}^NH")
    if record.get("outcome") != "Success":
        problems.append(f"the DMP refused the submission: {errors_text(record)}")
    if not problems:
        problems += cda_problems(target, evidence, attempt.dmp.document(record, index))
    if problems:
        fail(f"document {doc.unique_id} for Patient/{patient_id}: " + "; ".join(problems))


def cda_problems(target: Target, evidence: Evidence, content: bytes | None) -> list[str]:
    """The received CDA judged by the documents suite (CDA XSD + the volet's CI-SIS schematron).

    The DMP simulator controls the structure only, as a DMP does before registering;
    conformance to the volet is judged here, with the validator the document checks use.
    """
    if content is None:
        raise CheckError("the DMP simulator kept no copy of the document it received: cannot judge the CDA")
    validator = validator_for(target)
    try:
        report = validator.validate(content)
    except DocumentError as exc:
        return [f"the CDA sent is not valid: {exc}"]
    except SchematronError as exc:
        raise CheckError(f"the CDA sent could not be validated: {exc}") from exc
    if report.svrl is not None:
        evidence.attach_text("dmp-document.svrl.xml", report.svrl, media_type="application/xml")
    evidence.attach_json("dmp-document.validation.json", report.to_dict())
    outcome = report.outcome()
    if outcome == "undecided":
        raise CheckError("the CDA sent declares no CI-SIS volet this harness knows: no schematron to apply")
    if outcome == "invalid":
        shown = "; ".join(str(i) for i in report.errors[:_MAX_LISTED])
        more = f" (+{len(report.errors) - _MAX_LISTED} more)" if len(report.errors) > _MAX_LISTED else ""
        return [f"the CDA sent is not conformant: {shown}{more}"]
    return []
