"""Fixtures of the FHIR suite's tests: the FR Core package and a validator over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from homolog.suites.fhir.packages import ENV_VAR, Conformance, load_conformance
from homolog.suites.fhir.validator import Validator

FR_CORE_TGZ = "hl7.fhir.fr.core-2.2.0.tgz"


@pytest.fixture(scope="session")
def fr_core_tgz(shared_data: Path) -> Path:
    """The FR Core 2.2.0 package file shipped beside the project."""
    path = shared_data / "fhir" / FR_CORE_TGZ
    if not path.is_file():
        pytest.fail(f"{path} is missing: the FHIR tests need the FR Core package")
    return path


@pytest.fixture(scope="session")
def fr_core(fr_core_tgz: Path) -> Conformance:
    """FR Core loaded (its dependencies are not available: listed as missing)."""
    return load_conformance([fr_core_tgz])


@pytest.fixture(scope="session")
def validator(fr_core: Conformance) -> Validator:
    """A validator over FR Core."""
    return Validator(fr_core)


@pytest.fixture(scope="session")
def fhir_packages_env(fr_core_tgz: Path) -> Iterator[None]:
    """HOMOLOG_FHIR_PACKAGES pointing at the shared FR Core folder, for the whole session."""
    patcher = pytest.MonkeyPatch()
    patcher.setenv(ENV_VAR, str(fr_core_tgz.parent))
    yield
    patcher.undo()
