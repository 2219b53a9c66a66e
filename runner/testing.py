"""Helpers to test checks and suites through the real engine (for homolog's and vendors' tests).

Thin wrappers over `homolog.api.run` (the one run entry point) that hand back run.json
as a plain dict, the shape tests assert on. Like the CLI, they are a front end: the
environment variables of the suites' run options (`homolog.environment`) fill the
settings the target leaves out, and `HOMOLOG_REFERENTIALS` adds referential folders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .api import pytest_args, run

__all__ = ["CheckResult", "pytest_args", "run_check", "run_referential"]


def run_referential(
    referential: str | Path,
    target: str | Path,
    out: str | Path,
    *,
    extra_args: Sequence[str] = (),
    **kw: Any,
) -> dict[str, Any]:
    """Run a referential in-process (`homolog.api.run`) and return run.json as a dict.

    Keyword arguments are those of `homolog.api.run` (`keyword`, `workers`,
    `attestations`, `waivers`, `counterparts`...).
    """
    from .environment import referential_paths, setting_defaults
    from .hookspec import suite_plugins

    kw.setdefault("setting_defaults", setting_defaults(suite_plugins().run_options()))
    kw["paths"] = [*kw.get("paths", ()), *referential_paths()]
    return run(referential, target, out=Path(out), extra=extra_args, **kw).document.to_json()


@dataclass
class CheckResult:
    verdict: str
    message: str | None
    evidence: list[Path] = field(default_factory=list)
    run: dict[str, Any] = field(default_factory=dict)
    run_dir: Path | None = None


def run_check(
    check_id: str,
    target: str | Path,
    *,
    tmp_path: Path,
    params: Mapping[str, Any] | None = None,
    requirement_id: str = "TEST-1",
    extra_args: Sequence[str] = (),
    **kw: Any,
) -> CheckResult:
    """Run one check (with parameters) against a target through the real plugin."""
    ref = {
        "format": "homolog.referential/1",
        "id": "adhoc-test",
        "version": "0.0.0",
        "title": f"ad-hoc referential for {check_id}",
        "publisher": "homolog tests",
        "date": "2026-01-01",
        "requirements": [
            {
                "id": requirement_id,
                "title": check_id,
                "text": f"Requirement verified by {check_id}.",
                "level": "exigence",
                "source": {"document": "homolog tests"},
                "checks": [{"check": check_id, "with": dict(params or {})}],
            }
        ],
    }
    n = len(list(tmp_path.glob("adhoc-*.yaml")))
    ref_path = tmp_path / f"adhoc-{n}.yaml"
    ref_path.write_text(yaml.safe_dump(ref, allow_unicode=True, sort_keys=False), encoding="utf-8")
    out = tmp_path / f"run-{n}"
    doc = run_referential(ref_path, target, out, extra_args=extra_args, **kw)
    check = doc["requirements"][0]["checks"][0]
    return CheckResult(check["verdict"], check.get("message"), [out / p for p in check.get("evidence") or []], doc, out)
