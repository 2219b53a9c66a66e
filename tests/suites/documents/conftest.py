"""Fixtures of the document suite's tests: the ANS material and a validator with its cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from homolog.suites.documents.material import AnsMaterial
from homolog.suites.documents.validator import DocumentValidator

PATIENT_QUALIFIED: dict[str, Any] = {
    "id": "pat-q1",
    "ins": "279035121518989",
    "ins_oid": "1.2.250.1.213.1.4.10",
    "status": "QUAL",
    "birth_name": "DURAND",
    "birth_given_names": ["CLAIRE", "ANNE"],
    "used_name": "MARTIN",
    "sex": "F",
    "birth_date": "1979-03-28",
    "birth_place_insee": "51215",
}
PATIENT_PROVISIONAL: dict[str, Any] = {
    **PATIENT_QUALIFIED,
    "id": "pat-p1",
    "status": "PROV",
    "ins": "279035121518989",
}
AUTHOR: dict[str, Any] = {"idnatps": "810000000001", "family": "MEDECIN", "given": "Alice", "profession_code": "10"}
CUSTODIAN: dict[str, Any] = {"idnatst": "1750000001", "name": "Hôpital de démonstration"}


@pytest.fixture(scope="session")
def cda_root(shared_data: Path) -> Path:
    """Root of the ANS TestContenuCDA copy beside the project."""
    return shared_data / "cda"


@pytest.fixture(scope="session")
def schematron_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A compiled-schematron cache private to this test session."""
    return tmp_path_factory.mktemp("schematron-cache")


@pytest.fixture(scope="session")
def validator(cda_root: Path, schematron_cache: Path) -> DocumentValidator:
    """A warm validator over the ANS material."""
    return DocumentValidator(AnsMaterial.from_root(cda_root), cache_dir=schematron_cache)
