"""The security referential parts: valid, every check known with valid parameters, and
the Mon espace santé security family passes on the clean reference SUT."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from homolog import load_referential, registry
from homolog.testing import run_referential

PARTS = ["ssi/ssi-1.0.0.yaml", "psc/psc-1.0.0.yaml", "mss/mss-1.0.0.yaml", "mes-securite/mes-securite-1.0.0.yaml"]


@pytest.mark.parametrize("part", PARTS)
def test_part_loads_and_its_checks_exist(repo_root: Path, part: str) -> None:
    ref = load_referential(repo_root / "referentials" / part)
    assert ref.requirements
    for req in ref.requirements:
        for use in req.checks or ():
            spec = registry.get(use.check)
            spec.validate_params(dict(use.params))


def test_mes_securite_passes_on_the_clean_sut(repo_root: Path, refsut: Callable[..., Any], tmp_path: Path) -> None:
    sut = refsut(session_timeout=1.0)
    run = run_referential(
        repo_root / "referentials/mes-securite/mes-securite-1.0.0.yaml",
        sut.target_path,
        tmp_path / "run",
    )
    verdicts = {r["id"]: r["verdict"] for r in run["requirements"]}
    automated = {r["id"] for r in run["requirements"] if r["checks"]}
    assert automated and all(verdicts[i] == "passed" for i in automated), verdicts
    assert {verdicts[i] for i in set(verdicts) - automated} <= {"manual"}
