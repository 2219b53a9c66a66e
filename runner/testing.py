"""Helpers to test checks and suites through the real engine (for homolog's and vendors' tests)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = ["CheckResult", "pytest_args", "run_check", "run_referential"]

_HERE = Path(__file__).resolve().parent


def pytest_args(
    referential: str | Path,
    target: str | Path,
    out: str | Path,
    *,
    resume: bool = False,
    keyword: str | None = None,
    workers: int | None = None,
    attestations: str | Path | None = None,
    waivers: str | Path | None = None,
    paths: Sequence[str | Path] = (),
    extra: Sequence[str] = (),
) -> list[str]:
    """The pytest command line `homolog run` uses (also for tests)."""
    args = [
        str(_HERE / "cases" / "_cases.py"),
        "-c",
        str(_HERE / "cases" / "run.ini"),
        "--rootdir",
        str(out),
        "-p",
        "no:cacheprovider",
        "-q",
        "--tb=no",
        "--no-header",
        "-rN",
        "--homolog-referential",
        str(referential),
        "--homolog-target",
        str(target),
        "--homolog-out",
        str(out),
    ]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        args += ["-p", "homolog.plugin"]
    if resume:
        args.append("--homolog-resume")
    if keyword:
        args += ["-k", keyword]
    if workers:
        args += ["-n", str(workers)]
    if attestations:
        args += ["--homolog-attestations", str(attestations)]
    if waivers:
        args += ["--homolog-waivers", str(waivers)]
    for p in paths:
        args += ["--homolog-path", str(p)]
    return args + list(extra)


def run_referential(
    referential: str | Path,
    target: str | Path,
    out: str | Path,
    *,
    extra_args: Sequence[str] = (),
    **kw: Any,
) -> dict[str, Any]:
    """Run a referential in-process through pytest and return run.json as a dict."""
    import pytest

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    code = pytest.main(pytest_args(referential, target, out, extra=extra_args, **kw))
    run_json = out / "run.json"
    if not run_json.exists():
        raise RuntimeError(f"pytest exited {code} without writing {run_json}")
    return json.loads(run_json.read_text("utf-8"))  # type: ignore[no-any-return]


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
    doc = run_referential(ref_path, target, out, extra_args=extra_args)
    check = doc["requirements"][0]["checks"][0]
    return CheckResult(check["verdict"], check.get("message"), [out / p for p in check.get("evidence") or []], doc, out)
