"""Fixture shared by the suites' tests: several checks in one engine run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from homolog.testing import run_referential

RunChecks = Callable[[Sequence[str], Path], dict[str, dict[str, Any]]]


@pytest.fixture
def run_checks(tmp_path: Path) -> RunChecks:
    """``run_checks(["a.b.c", ...], target_path)`` -> check id -> its result in run.json.

    One requirement per check, default parameters, one pytest session for all: a defect
    test asks every check of a domain at once and compares verdicts.
    """
    counter = iter(range(1000))

    def run(checks: Sequence[str], target: Path) -> dict[str, dict[str, Any]]:
        n = next(counter)
        ref = {
            "format": "homolog.referential/1",
            "id": f"tests-{n}",
            "version": "0.0.0",
            "title": "checks under test",
            "publisher": "homolog tests",
            "date": "2026-11-29",
            "requirements": [
                {
                    "id": f"T-{i:02d}",
                    "title": check,
                    "text": check,
                    "level": "exigence",
                    "source": {"document": "homolog tests"},
                    "checks": [{"check": check}],
                }
                for i, check in enumerate(checks)
            ],
        }
        path = tmp_path / f"checks-{n}.yaml"
        path.write_text(yaml.safe_dump(ref, sort_keys=False), encoding="utf-8")
        doc = run_referential(path, target, tmp_path / f"run-{n}")
        return {req["checks"][0]["check"]: req["checks"][0] for req in doc["requirements"]}

    return run
