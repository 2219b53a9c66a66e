"""FR Core Patient helpers and the RNIV status mapping (pure functions, no SUT)."""

from __future__ import annotations

import pytest

from homolog.suites.identity import fr_core_patient as p
from homolog.suites.identity.nir import is_valid_nir
from homolog.suites.identity.settings import IdentitySettings
from homolog.suites.identity.sut import (
    fresh_test_nir,
    ins_values,
    mark_reliability,
    qualified_test_patient,
    rniv_status,
)

SETTINGS = IdentitySettings(accepted_ins_oids=("1.2.250.1.213.1.4.10",))


@pytest.mark.parametrize("status", ["PROV", "RECUP", "VALI", "QUAL"])
def test_status_round_trip(status: str) -> None:
    patient = qualified_test_patient(SETTINGS, family="X", rniv=status)
    assert rniv_status(patient, SETTINGS) == status


def test_only_qualified_uses_fr_core_vali() -> None:
    # FR Core fr-core-1: identityStatus VALI implies an official INS.
    for status, code in (("VALI", "VIDE"), ("QUAL", "VALI")):
        patient = p.build_patient(
            family="X", given="A", birth_date="1979-03-28", gender="female", birthplace="51215", status=None
        )
        mark_reliability(patient, status)
        assert p.identity_status(patient) == code


def test_status_tag_wins_when_declared() -> None:
    patient = qualified_test_patient(SETTINGS, family="X", rniv="QUAL")
    patient["meta"] = {"tag": [{"system": "urn:test:rniv", "code": "RECUP"}]}
    tagged = IdentitySettings(status_tag_system="urn:test:rniv")
    assert rniv_status(patient, tagged) == "RECUP"
    assert rniv_status(patient, SETTINGS) == "QUAL"


def test_accessors_read_the_fr_core_shape() -> None:
    patient = qualified_test_patient(SETTINGS, family="ZOLA", ins="279035121518989")
    assert p.birth_name(patient) == "ZOLA"
    assert p.birth_given_names(patient) == "CAMILLE ANNE"
    assert p.birthplace_insee(patient) == "51215"
    assert ins_values(patient) == [("1.2.250.1.213.1.4.10", "279035121518989")]


def test_accessors_survive_hostile_json() -> None:
    hostile = {
        "resourceType": "Patient",
        "extension": "x",
        "name": [1, {"use": "official"}],
        "identifier": [None, {"system": 5}],
    }
    assert p.birth_name(hostile) is None
    assert p.birthplace_insee(hostile) is None
    assert p.identity_status(hostile) is None
    assert p.ins_identifiers(hostile) == []
    assert rniv_status(hostile, SETTINGS) is None
    assert p.bundle_resources({"entry": [1, {"resource": "x"}]}) == []


def test_fresh_test_nirs_are_valid_and_coherent() -> None:
    for _ in range(50):
        nir = fresh_test_nir()
        assert is_valid_nir(nir)
        assert nir.startswith("2790351")
