"""What the simulated e-prescription service requires of a registration, and how it judges one.

Paraphrased from what the Assurance Maladie publishes of the "ordonnance numérique": the
prescriber's software sends the prescription's data to the national base, which keeps
them and answers a unique prescription number; that number travels in a QR code printed
on the paper prescription handed to the patient. The data registered identify the
prescriber (idNatPS: RPPS or ADELI), the patient (INS and the identity traits), the date
and the prescribed items (designation, dosage). The wire format of the real service is
not public: this simulator speaks the JSON below, its own paraphrase::

    {"prescriber": {"idNatPS": "8...", "name": "..."},
     "patient": {"ins": "...", "insOid": "1.2.250.1.213.1.4.8", "birthName": "...",
                 "firstName": "...", "birthDate": "YYYY-MM-DD", "sex": "F"},
     "issued": "YYYY-MM-DD",
     "items": [{"designation": "...", "dosage": "...", "duration": "..."}]}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from ..identifiers import idnatps_problems, nir_problems

__all__ = ["MAX_ITEMS", "registration_problems"]

MAX_ITEMS = 50  # a prescription with more lines is refused rather than read
_SEXES = ("F", "M", "U")
_MAX_TEXT = 500


def _text(where: str, value: Any, problems: list[str]) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        problems.append(f"{where} is missing")
        return None
    if not isinstance(value, str):
        problems.append(f"{where} is a {type(value).__name__}, not a string")
        return None
    if len(value) > _MAX_TEXT:
        problems.append(f"{where} is {len(value)} characters long, above {_MAX_TEXT}")
        return None
    return value.strip()


def _date(where: str, value: Any, problems: list[str]) -> None:
    text = _text(where, value, problems)
    if text is None:
        return
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        problems.append(f"{where} {text[:40]!r} is not a date (YYYY-MM-DD)")


def _object(where: str, value: Any, problems: list[str]) -> Mapping[str, Any]:
    if value is None:
        problems.append(f"{where} is missing")
        return {}
    if not isinstance(value, Mapping):
        problems.append(f"{where} is not an object")
        return {}
    return value


def registration_problems(body: Any, accepted_ins_oids: Iterable[str]) -> list[str]:
    """Why the service refuses this registration (empty: it registers it)."""
    problems: list[str] = []
    if not isinstance(body, Mapping):
        return ["the registration is not a JSON object"]
    prescriber = _object("prescriber", body.get("prescriber"), problems)
    if prescriber:
        idnatps = _text("prescriber.idNatPS", prescriber.get("idNatPS"), problems)
        if idnatps is not None:
            problems += [f"prescriber.idNatPS: {p}" for p in idnatps_problems(idnatps)]
    patient = _object("patient", body.get("patient"), problems)
    if patient:
        ins = _text("patient.ins", patient.get("ins"), problems)
        if ins is not None:
            problems += [f"patient.ins: {p}" for p in nir_problems(ins)]
        oid = _text("patient.insOid", patient.get("insOid"), problems)
        accepted = sorted(accepted_ins_oids)
        if oid is not None and oid not in accepted:
            problems.append(
                f"patient.insOid {oid[:80]!r} is not an INS domain the service accepts ({', '.join(accepted)})"
            )
        _text("patient.birthName", patient.get("birthName"), problems)
        _text("patient.firstName", patient.get("firstName"), problems)
        _date("patient.birthDate", patient.get("birthDate"), problems)
        sex = _text("patient.sex", patient.get("sex"), problems)
        if sex is not None and sex not in _SEXES:
            problems.append(f"patient.sex {sex[:10]!r} is not one of {', '.join(_SEXES)}")
    _date("issued", body.get("issued"), problems)
    items = body.get("items")
    if not isinstance(items, list) or not items:
        problems.append("items: a prescription holds at least one item")
    elif len(items) > MAX_ITEMS:
        problems.append(f"items: {len(items)} items, above the {MAX_ITEMS} the service takes")
    else:
        for n, item in enumerate(items):
            entry = _object(f"items[{n}]", item, problems)
            if entry:
                _text(f"items[{n}].designation", entry.get("designation"), problems)
                _text(f"items[{n}].dosage", entry.get("dosage"), problems)
    return problems
