"""eprescription.printout.mentions: the printout names the prescriber, the patient, the date and the items."""

from __future__ import annotations

import datetime as dt

from homolog import CheckError, Evidence, Target, check, fail

from ..exchange import PRESCRIBES, Prescribing
from ..pdf_reading import normalised, text_of
from ..settings import expected

__all__ = ["mentions"]


def _dates(iso: str) -> list[str]:
    """The ways a date is printed on a French prescription: 28/03/1979, 28.03.1979, 1979-03-28."""
    day = dt.date.fromisoformat(iso)
    return [day.strftime("%d/%m/%Y"), day.strftime("%d.%m.%Y"), day.strftime("%d-%m-%Y"), day.isoformat()]


@check("eprescription.printout.mentions", needs=PRESCRIBES)
def mentions(prescribing: Prescribing, target: Target, evidence: Evidence) -> None:
    """The printed prescription names the prescriber, the patient with their INS, the date and every item.

    The PDF's text (``settings.eprescription.expected`` says what the prescription holds) must
    show the prescriber's name and RPPS (or idNatPS), the patient's birth name, first name,
    birth date and INS, the date of the prescription (the day it was made, give or take a
    day for time zones) and the designation of every item. Case, accents and spacing do not
    count; a PDF without a text layer cannot be read here and ends in error.
    """
    want = expected(target)
    pdf = prescribing.printed()
    text = text_of(pdf)
    evidence.attach_text("eprescription-text.txt", text)
    plain = normalised(text)
    if not plain:
        raise CheckError("the printed prescription has no text layer (an image?): its mentions cannot be read")
    rpps = want.prescriber_idnatps[1:] if want.prescriber_idnatps[:1] in ("8", "0") else want.prescriber_idnatps
    made = dt.date.fromisoformat(prescribing.day)
    around = [(made + dt.timedelta(days=d)).isoformat() for d in (0, -1, 1)]
    required: dict[str, list[str]] = {
        "the prescriber's name": [want.prescriber_name],
        "the prescriber's RPPS": [rpps, want.prescriber_idnatps],
        "the patient's birth name": [want.patient_birth_name],
        "the patient's first name": [want.patient_first_name],
        "the patient's birth date": _dates(want.patient_birth_date),
        "the patient's INS": [want.patient_ins],
        "the date of the prescription": [s for d in around for s in _dates(d)],
        **{f"item {item!r}": [item] for item in want.items},
    }
    # Numbers may be printed in groups ("2 79 03 51 215 189 89"): spaces do not count either.
    packed = plain.replace(" ", "")
    missing = [
        what
        for what, ways in required.items()
        if not any(normalised(w) in plain or normalised(w).replace(" ", "") in packed for w in ways)
    ]
    if missing:
        fail(f"the printed prescription does not show {', '.join(missing)}")
