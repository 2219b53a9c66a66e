"""The patient's export holds every measurement the patient space shows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from homolog import CheckError, Evidence, Target, check, fail
from homolog.counterparts.psc import PscControl
from homolog.suites.fhir.api import bundle_resources
from homolog.suites.telehealth.export import Shown, patient_export


def _values(obs: dict[str, Any]) -> list[Decimal]:
    """The numeric values of an Observation (value[x] and components)."""
    out = []
    for part in [obs, *[c for c in obs.get("component") or [] if isinstance(c, dict)]]:
        quantity = part.get("valueQuantity")
        raw = quantity.get("value") if isinstance(quantity, dict) else part.get("valueInteger")
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            out.append(Decimal(str(raw)))
    return out


def _when(obs: dict[str, Any]) -> dt.datetime | None:
    raw = obs.get("effectiveDateTime") or (obs.get("effectivePeriod") or {}).get("start")
    if not isinstance(raw, str):
        return None
    try:
        return dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None


def _same_instant(shown: dt.datetime, recorded: dt.datetime) -> bool:
    # A page without an offset shows wall-clock time: compare it with the recorded one's own.
    if shown.tzinfo is None or recorded.tzinfo is None:
        return shown.replace(tzinfo=None, second=0) == recorded.replace(tzinfo=None, second=0)
    return abs((shown - recorded).total_seconds()) < 60


def _matches(row: Shown, values: list[Decimal]) -> bool:
    """Each number shown equals a value of the observation, as rounded for display."""
    for text in row.numbers:
        try:
            number = Decimal(text)
        except InvalidOperation:
            return False
        places = max(0, -int(number.as_tuple().exponent))
        if not any(round(v, places) == number for v in values):
            return False
    return True


@check("telehealth.portability.export_complete")
def export_complete(psc_ui: Any, patient_idp: PscControl, target: Target, evidence: Evidence) -> None:
    """The patient's data export holds the patient and every measurement the patient space shows."""
    export = patient_export(psc_ui, patient_idp, target, evidence)
    if not export.shown:
        raise CheckError("the patient space shows no measurement: nothing to compare the export with")
    resources = bundle_resources(export.bundle)
    if not any(r.get("resourceType") == "Patient" for r in resources):
        fail(f"the export at {export.url} holds no Patient resource: the data cannot be tied to the patient")
    observations = [(_when(r), _values(r)) for r in resources if r.get("resourceType") == "Observation"]
    missing = [
        row
        for row in export.shown
        if not any(w is not None and _same_instant(row.when, w) and _matches(row, v) for w, v in observations)
    ]
    evidence.attach_json(
        "comparison.json",
        {
            "shown": [{"when": r.when.isoformat(), "value": r.text} for r in export.shown],
            "exported_observations": len(observations),
            "missing": [{"when": r.when.isoformat(), "value": r.text} for r in missing],
        },
    )
    if missing:
        listed = "; ".join(f"{r.when.isoformat()} {r.text}" for r in missing[:5])
        shown = len(export.shown)
        fail(f"{len(missing)} of the {shown} measurements the patient space shows are not in the export: {listed}")
