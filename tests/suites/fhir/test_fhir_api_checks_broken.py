"""The fhir.* checks fail (with the reason) against a non-conformant FHIR server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from brokenfhir import TOKEN, TOKEN_ENV, broken_fhir_target

from homolog.testing import run_check


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    patcher = pytest.MonkeyPatch()
    patcher.setenv(TOKEN_ENV, TOKEN)
    with broken_fhir_target(tmp_path_factory.mktemp("broken")) as target:
        yield target
    patcher.undo()


CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "fhir.metadata.capability_statement",
        {},
        ["fhirVersion is '3.0.2'", "does not include JSON", "no rest entry with mode 'server'"],
    ),
    ("fhir.metadata.declares_resources", {}, ["Patient is not declared"]),
    ("fhir.metadata.declares_profiles", {}, ["Patient is not declared"]),
    ("fhir.format.fhir_json", {}, ["content type application/json, expected application/fhir+json"]),
    ("fhir.rest.read", {}, ["returned id 'p0-other'", "expected 200, got 404"]),
    ("fhir.rest.vread", {}, ["no meta.versionId"]),
    ("fhir.search.searchset", {}, ["Bundle.type is 'collection'"]),
    ("fhir.search.paging", {}, ["page 1 holds 5 resources for _count=2"]),
    ("fhir.robustness.malformed_input", {"max_examples": 40}, ["got a server error or no complete answer (seed"]),
]


@pytest.mark.parametrize(("check_id", "params", "reasons"), CASES, ids=[c[0] for c in CASES])
def test_check_fails_on_broken_server(
    broken: Path, tmp_path: Path, check_id: str, params: dict[str, Any], reasons: list[str]
) -> None:
    res = run_check(check_id, broken, tmp_path=tmp_path, params=params)
    assert res.verdict == "failed", res.message
    for reason in reasons:
        assert reason in (res.message or "")
