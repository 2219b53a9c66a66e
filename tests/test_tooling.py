"""The tree type-checks under mypy --strict and is ruff-clean (lint and format).

Run by the README's test command, so CI runs them too. mypy reads the package as it is
installed (scripts/typecheck.py maps the source folders to `homolog`), then the benchmarks
against it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sourcetree import REPO, typecheck_script


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, check=False, timeout=600)


@pytest.mark.slow
def test_mypy_strict_reports_no_error() -> None:
    proc = _run("scripts/typecheck.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # two passes: the package, then the benchmarks (which nothing else runs)
    assert proc.stdout.count("Success: no issues found") == 2, proc.stdout


def test_the_typecheck_tree_is_the_installed_layout(tmp_path: Path) -> None:
    # mypy must see the modules under the names they are imported by, every source folder included.
    links = typecheck_script().build_tree(tmp_path)
    assert links["homolog/__init__.py"] == "runner/__init__.py"
    assert links["homolog/suites/fhir/api.py"] == "suites/fhir/api.py"
    assert links["homolog/reports/__init__.py"] == "reports/__init__.py"
    assert links["homolog/fixtures/refsut/server.py"] == "fixtures/refsut/server.py"
    assert (tmp_path / "homolog" / "py.typed").is_file()
    sources = {
        str(p.relative_to(REPO))
        for folder in ("runner", "suites", "reports", "fixtures")
        for p in (REPO / folder).rglob("*.py")
    }
    assert sources <= set(links.values())


def test_ruff_check_is_clean() -> None:
    proc = _run("-m", "ruff", "check", "--no-cache", "--output-format", "concise", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format_changes_nothing() -> None:
    proc = _run("-m", "ruff", "format", "--no-cache", "--check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_property_tests_have_no_timed_assertion() -> None:
    """hypothesis' deadline and slow-generation health check are off in the suite (conftest)."""
    from hypothesis import HealthCheck, settings

    assert settings.default.deadline is None
    assert HealthCheck.too_slow in settings.default.suppress_health_check
