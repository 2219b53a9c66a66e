"""What the INSi checks share: the simulator's control client, test identities, the
provisional identity a check creates, and the INSi exchanges it caused.

The INSi simulator is a counterpart (``homolog.counterparts.insi``): a target declares it
under ``counterparts: {insi: ...}`` and the run starts it (``homolog demo`` starts it
before the reference DPI); the system under test is configured with its URL and CA, and
the checks reach it through the ``counterpart("insi")`` fixture (the ``insi`` fixture of
``fixtures.py``). How the system is made to call INSi (``settings.insi``): it calls it
when an identity is created through its FHIR API (``trigger: fhir-create``, the only
trigger so far), within ``call_delay_seconds`` (default 5).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from homolog import CheckError, CounterpartEndpoint, HttpClient, Target
from homolog.counterparts.insi import InsiControl
from homolog.counterparts.insi.directory import normalise as _normalise
from homolog.counterparts.soap import ControlError
from homolog.suites.soap_counterparts import control_client, service_settings, wait_for_exchanges

from .fr_core_patient import birth_given_names, birth_name, birthplace_insee, build_patient, official_name
from .sut import create_patient, ins_values, mark_reliability

__all__ = [
    "InsiSettings",
    "TestIdentity",
    "admit",
    "insi_control",
    "insi_settings",
    "make_known_to_insi",
    "normalise",
    "register",
    "searches_for",
    "stored_traits",
]


class InsiSettings(BaseModel):
    """``settings.insi`` of the target: how the system is made to call INSi."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    trigger: Literal["fhir-create"] = "fhir-create"
    call_delay_seconds: float = Field(default=5.0, ge=0, le=120)


def insi_settings(target: Target) -> InsiSettings:
    """The validated ``settings.insi``; a bad value is a CheckError naming it."""
    return service_settings(target, "insi", InsiSettings)


def insi_control(endpoint: CounterpartEndpoint) -> InsiControl:
    """The control client of the INSi simulator the run started (``counterpart("insi")``)."""
    return control_client(endpoint, InsiControl)


def normalise(text: Any) -> str:
    """How INSi compares traits (upper case, no accents, single spaces)."""
    return _normalise(text) if isinstance(text, str) else ""


@dataclass(frozen=True)
class TestIdentity:
    """A synthetic identity as the national directory holds it (what INSi returns)."""

    birth_name: str
    given_names: tuple[str, ...]
    sex: str
    birth_date: str
    birth_place: str
    ins: str
    oid: str

    @property
    def gender(self) -> str:
        """The FHIR gender of ``sex``."""
        return "female" if self.sex == "F" else "male"


def register(
    insi: InsiControl,
    *,
    birth_name: str,
    given_names: tuple[str, ...],
    sex: str = "F",
    birth_date: str = "1979-03-28",
    birth_place: str = "51215",
    ins: str | None = None,
    oid: str | None = None,
    as_given: bool = False,
) -> TestIdentity:
    """Add a synthetic identity to the simulator's directory; return it with its INS."""
    try:
        data = insi.register(
            birth_name=birth_name,
            given_names=given_names,
            sex=sex,
            birth_date=birth_date,
            birth_place=birth_place,
            ins=ins,
            oid=oid,
            as_given=as_given,
        )
    except ControlError as exc:
        raise CheckError(str(exc)) from None
    return TestIdentity(
        birth_name=str(data["birth_name"]),
        given_names=tuple(data["given_names"]),
        sex=str(data["sex"]),
        birth_date=str(data["birth_date"]),
        birth_place=str(data["birth_place"]),
        ins=str(data["ins"]),
        oid=str(data["oid"]),
    )


def admit(
    http: HttpClient,
    *,
    family: str,
    first_name: str = "CAMILLE",
    gender: str = "female",
    birth_date: str = "1979-03-28",
    birthplace: str = "99999",
) -> str:
    """Create a provisional identity as admission types it (no INS); return its id.

    The system refusing it makes the calling check undecidable (CheckError).
    """
    patient = build_patient(
        family=family,
        given=first_name,
        birth_given_names=first_name,
        birth_date=birth_date,
        gender=gender,
        birthplace=birthplace,
        status=None,
    )
    mark_reliability(patient, "PROV")
    resp, new_id = create_patient(http, patient)
    if not new_id:
        raise CheckError(f"could not create a provisional identity: {resp.describe()} answered {resp.status_code}")
    return str(new_id)


def searches_for(insi: InsiControl, since: int, family: str, *, wait: float) -> list[dict[str, Any]]:
    """INSi search exchanges after ``since`` whose birth name is ``family`` (waits up to ``wait``)."""
    want = normalise(family)

    def match(record: dict[str, Any]) -> bool:
        traits = (record.get("request") or {}).get("traits") or {}
        return record.get("operation") == "search" and normalise(traits.get("birth_name")) == want

    return wait_for_exchanges(insi, since, match, wait=wait)


def stored_traits(patient: Mapping[str, Any]) -> dict[str, Any]:
    """The strict traits a Patient carries, in the INSi vocabulary."""
    names = birth_given_names(patient)
    return {
        "birth_name": birth_name(patient),
        "given_names": tuple(names.split()) if names else (),
        "sex": {"female": "F", "male": "M"}.get(str(patient.get("gender"))),
        "birth_date": patient.get("birthDate"),
        "birth_place": birthplace_insee(patient),
        "ins": ins_values(patient),
    }


def make_known_to_insi(target: Target, patient: Mapping[str, Any], *, as_given: bool = False) -> None:
    """Register a test Patient carrying an INS in the target's INSi simulator, if any.

    A system that verifies every INS with INSi before trusting it (as the RNIV asks)
    refuses identities INSi does not know; the national test directory would know the
    identities a vendor tests with, the simulator learns them here. ``as_given``: register
    the INS even with a wrong key, so that a check of the system's own key check is not
    answered by INSi's refusal instead. No INSi simulator in the run: nothing to do.
    """
    values = ins_values(patient)
    if not values or values[0][0] is None:
        return
    try:
        endpoint = target.counterpart("insi")
    except CheckError:  # the run started no INSi simulator: the system cannot ask it
        return
    oid, ins = values[0]
    official = official_name(patient) or {}
    raw = official.get("given")
    given: list[Any] = raw if isinstance(raw, list) else []
    names = birth_given_names(patient) or " ".join(g for g in given if isinstance(g, str))
    register(
        insi_control(endpoint),
        birth_name=str(birth_name(patient)),
        given_names=tuple(names.split()),
        sex={"female": "F", "male": "M"}.get(str(patient.get("gender")), "F"),
        birth_date=str(patient.get("birthDate")),
        birth_place=str(birthplace_insee(patient) or "99999"),
        ins=str(ins),
        oid=oid,
        as_given=as_given,
    )
