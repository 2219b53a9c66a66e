"""The e-prescription suite's target settings (``settings.eprescription``), validated once."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from homolog import CheckError, Target
from homolog.suites.mss.settings import TriggerSettings
from homolog.suites.soap_counterparts import service_settings

__all__ = ["ErxSettings", "Expected", "erx_settings", "expected"]


class Expected(BaseModel):
    """What the prescription made by the trigger must carry (the test data the trigger names)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prescriber_idnatps: str
    prescriber_name: str
    patient_ins: str
    patient_birth_name: str
    patient_first_name: str
    patient_birth_date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    items: list[str] = Field(min_length=1)


class ErxSettings(BaseModel):
    """``settings.eprescription`` of a target.

    - ``trigger``: the HTTP call that makes the system prescribe and print (its answer is
      the PDF, or JSON naming it, see ``pdf_link``);
    - ``pdf_link``: the key of the trigger's JSON answer holding the PDF's path (on the
      trigger's base, with its auth); absent, the answer itself must be the PDF;
    - ``expected``: what the prescription holds (prescriber, patient, items);
    - ``wait_seconds``: how long after the trigger's answer a registration may still arrive.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    trigger: TriggerSettings | None = None
    pdf_link: str | None = None
    expected: Expected | None = None
    wait_seconds: float = Field(default=5.0, ge=0, le=120)


def erx_settings(target: Target) -> ErxSettings:
    """The validated ``settings.eprescription``; a bad value is a CheckError naming it."""
    return service_settings(target, "eprescription", ErxSettings)


def expected(target: Target) -> Expected:
    """``settings.eprescription.expected``; CheckError when the target does not say it."""
    found = erx_settings(target).expected
    if found is None:
        raise CheckError(
            "the target declares no settings.eprescription.expected: say what the prescription the"
            " trigger makes holds (prescriber_idnatps, prescriber_name, patient_ins, patient_birth_name,"
            " patient_first_name, patient_birth_date, items)"
        )
    return found
