"""Slicing discriminators FR Core does not use (exists, profile), on a synthetic profile."""

from __future__ import annotations

from typing import Any

import pytest

from homolog.suites.fhir.packages import Conformance, FhirPackage, load_conformance
from homolog.suites.fhir.validator import Validator

FR = "https://hl7.fr/ig/fhir/core/StructureDefinition/"
URL = "https://homolog.invalid/StructureDefinition/test-patient"


def _el(eid: str, lo: int, hi: str, **extra: Any) -> dict[str, Any]:
    path = ".".join(seg.split(":")[0] for seg in eid.split("."))
    return {"id": eid, "path": path, "min": lo, "max": hi, **extra}


PROFILE: dict[str, Any] = {
    "resourceType": "StructureDefinition",
    "url": URL,
    "version": "0.0.1",
    "type": "Patient",
    "kind": "resource",
    "derivation": "constraint",
    "snapshot": {
        "element": [
            _el("Patient", 0, "*"),
            _el(
                "Patient.identifier",
                0,
                "*",
                type=[{"code": "Identifier"}],
                slicing={"discriminator": [{"type": "exists", "path": "period"}], "rules": "closed"},
            ),
            _el("Patient.identifier:dated", 1, "1", type=[{"code": "Identifier"}]),
            _el("Patient.identifier:dated.period", 1, "1", type=[{"code": "Period"}]),
            _el("Patient.identifier:undated", 0, "*", type=[{"code": "Identifier"}]),
            _el("Patient.identifier:undated.period", 0, "0", type=[{"code": "Period"}]),
            _el(
                "Patient.extension",
                0,
                "*",
                type=[{"code": "Extension"}],
                slicing={"discriminator": [{"type": "profile", "path": "$this"}], "rules": "closed"},
            ),
            _el(
                "Patient.extension:birthList",
                0,
                "1",
                type=[{"code": "Extension", "profile": [FR + "fr-core-lunar-date"]}],
            ),
        ]
    },
}


@pytest.fixture(scope="module")
def synthetic(fr_core_tgz: Any) -> Validator:
    conf: Conformance = load_conformance([fr_core_tgz])
    conf.add(FhirPackage("homolog.test", "0.0.1", fr_core_tgz, {}, [PROFILE]))
    return Validator(conf)


def _patient(**kw: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", **kw}


DATED = {"system": "urn:oid:1.2.3", "value": "a", "period": {"start": "2020-01-01"}}
UNDATED = {"system": "urn:oid:1.2.3", "value": "b"}
BIRTH_LIST = {"url": FR + "fr-core-lunar-date", "valueString": "1400-09-12"}


def test_exists_discriminator(synthetic: Validator) -> None:
    ok = synthetic.validate(_patient(identifier=[UNDATED, DATED]), URL)
    assert [i for i in ok if i.is_error] == []
    missing = synthetic.validate(_patient(identifier=[UNDATED]), URL)
    assert [(i.code, i.message) for i in missing if i.is_error] == [
        ("cardinality", "slice 'dated': minimum cardinality 1, found 0")
    ]


def test_profile_discriminator_and_closed_slicing(synthetic: Validator) -> None:
    ok = synthetic.validate(_patient(identifier=[DATED], extension=[BIRTH_LIST]), URL)
    assert [i for i in ok if i.is_error] == []
    wrong = {"url": FR + "fr-core-lunar-date", "valueInteger": 3}
    bad = synthetic.validate(_patient(identifier=[DATED], extension=[wrong]), URL)
    assert any(
        i.code == "slice" and i.location == "Patient.extension[0]" and "closed slicing" in i.message for i in bad
    )
