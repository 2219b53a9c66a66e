"""eprescription.registration.required_data: the prescription is registered with the data the service requires."""

from __future__ import annotations

from typing import Any

from homolog import Target, check, fail

from ..exchange import PRESCRIBES, Prescribing
from ..settings import expected

__all__ = ["required_data"]


def _sent(record: dict[str, Any]) -> dict[str, Any]:
    registration = record.get("registration")
    return registration if isinstance(registration, dict) else {}


def _part(sent: dict[str, Any], key: str) -> dict[str, Any]:
    value = sent.get(key)
    return value if isinstance(value, dict) else {}


def _mismatches(record: dict[str, Any], target: Target) -> list[str]:
    """What the registration says otherwise than the prescription made (settings.eprescription.expected)."""
    want = expected(target)
    sent = _sent(record)
    prescriber = _part(sent, "prescriber")
    patient = _part(sent, "patient")
    out = []
    if prescriber.get("idNatPS") != want.prescriber_idnatps:
        out.append(f"prescriber.idNatPS is {prescriber.get('idNatPS')!r}, the prescriber is {want.prescriber_idnatps}")
    if patient.get("ins") != want.patient_ins:
        out.append(f"patient.ins is {patient.get('ins')!r}, the patient's INS is {want.patient_ins}")
    raw_items = sent.get("items")
    items = raw_items if isinstance(raw_items, list) else []
    designations = {str(i.get("designation") or "").strip() for i in items if isinstance(i, dict)}
    missing = [d for d in want.items if d not in designations]
    if missing:
        out.append(f"items lack {', '.join(map(repr, missing))}")
    return out


@check("eprescription.registration.required_data", needs=PRESCRIBES)
def required_data(prescribing: Prescribing, target: Target) -> None:
    """The prescription is registered with the prescriber's idNatPS, the patient's INS and the items.

    The system is asked to prescribe (``settings.eprescription.trigger``); the service must
    receive the registration within ``wait_seconds`` of the answer and register it: it
    refuses a registration that lacks the prescriber's idNatPS, the patient's INS and
    identity traits, the date or the items, or whose identifiers are ill-formed (RPPS/ADELI,
    NIR key, INS OID). What is registered must be the prescription made
    (``settings.eprescription.expected``).
    """
    regs = [r for r in prescribing.registrations if r.get("operation") == "register"]
    if not prescribing.registrations:
        fail(f"no registration reached the e-prescription service after the trigger ({prescribing.answer()})")
    if not regs:
        reasons = "; ".join(p for r in prescribing.registrations for p in r.get("problems") or [])
        fail(f"the e-prescription service could not read what the system sent: {reasons}")
    accepted = prescribing.registered
    if not accepted:
        last = regs[-1]
        fail(
            f"the e-prescription service refused the registration ({last.get('status')}):"
            f" {'; '.join(last.get('problems') or [])}"
        )
    record = accepted[-1]
    problems = _mismatches(record, target)
    if problems:
        fail(f"prescription {record.get('prescription_id')} was registered with other data: {'; '.join(problems)}")
