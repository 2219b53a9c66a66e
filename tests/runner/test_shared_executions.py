"""One execution per check and parameters (issue 18.1): a check several requirements cite
with the same parameters runs once, and its verdict, message and evidence (the same files,
not copies) are the result of each of those requirements."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from engine_support import requirement, write_referential

from homolog.testing import pytest_args, run_referential

pytest_plugins = ["pytester"]

HERE = Path(__file__).resolve().parent


def _referential(tmp_path: Path, log: Path) -> Path:
    return write_referential(
        tmp_path / "ref.yaml",
        [
            requirement("R.a", "engine.outcome.count", with_={"log": str(log)}),
            requirement("R.b", "engine.outcome.count", with_={"log": str(log)}),
            requirement("R.c", "engine.outcome.count", with_={"log": str(log), "fail": True}),
            requirement("R.d", "engine.outcome.count", with_={"log": str(log), "fail": True}),
        ],
    )


def _checks(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r["checks"][0] for r in doc["requirements"]}


def _executions(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


@pytest.mark.parametrize("workers", [0, 2])
def test_a_check_cited_twice_with_the_same_parameters_runs_once(
    tmp_path: Path, target_file: Path, workers: int, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from homolog.reports import render

    log = tmp_path / "executions.log"
    out = tmp_path / "run"
    ref = _referential(tmp_path, log)
    if workers:  # two xdist workers: each collects every case and makes the same choice
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
        out.mkdir()
        result = pytester.runpytest_subprocess(
            *pytest_args(ref, target_file, out, workers=2, extra=["-p", "enginechecks"])
        )
        assert result.ret == 1, result.stdout.str()
        doc = json.loads((out / "run.json").read_text())
    else:
        doc = run_referential(ref, target_file, out)
    assert _executions(log) == 2  # one per parameter set, not one per requirement
    checks = _checks(doc)
    assert {rid: c["verdict"] for rid, c in checks.items()} == {
        "R.a": "passed",
        "R.b": "passed",
        "R.c": "failed",
        "R.d": "failed",
    }
    assert checks["R.a"]["shared_from"] is None and checks["R.c"]["shared_from"] is None
    assert checks["R.b"]["shared_from"].startswith("R.a::engine.outcome.count::")
    assert checks["R.d"]["shared_from"].startswith("R.c::engine.outcome.count::")
    assert checks["R.d"]["message"] == checks["R.c"]["message"] == "counted and refused"
    # the evidence is referenced, not copied: the files of each execution, once
    assert checks["R.b"]["evidence"] == checks["R.a"]["evidence"] != []
    assert checks["R.d"]["evidence"] == checks["R.c"]["evidence"] != []
    assert len({p for c in checks.values() for p in c["evidence"]}) == 2
    assert len([p for p in (out / "evidence").iterdir() if p.is_file()]) == 2
    assert all((out / p).is_file() for c in checks.values() for p in c["evidence"])
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(x["requirement"] for x in lines) == ["R.a", "R.b", "R.c", "R.d"]
    assert doc["summary"]["checks"]["passed"] == 2 and doc["summary"]["checks"]["failed"] == 2
    page = render(out, ["html"], lang="en")["html"].read_text("utf-8")
    assert "Same check, same parameters: result and evidence of the execution made for" in page


def test_the_sharing_is_decided_among_the_selected_cases(tmp_path: Path, target_file: Path) -> None:
    log = tmp_path / "executions.log"
    doc = run_referential(
        _referential(tmp_path, log),
        target_file,
        tmp_path / "run",
        keyword="R.b or R.d",
        extra_args=["-p", "enginechecks"],
    )
    assert _executions(log) == 2  # R.a and R.c deselected: R.b and R.d run themselves
    checks = _checks(doc)
    assert checks["R.b"]["verdict"] == "passed" and checks["R.b"]["shared_from"] is None
    assert checks["R.d"]["verdict"] == "failed" and checks["R.d"]["shared_from"] is None
    assert checks["R.a"]["deselected"] and checks["R.c"]["deselected"]


def _two_requirements(tmp_path: Path, target_file: Path, check: str, log_a: str, log_b: str) -> dict[str, Any]:
    """Run R.a and R.b, each citing `check` with its own log file (the same file: the same parameters)."""
    reqs = [requirement(rid, check, with_={"log": log}) for rid, log in (("R.a", log_a), ("R.b", log_b))]
    return run_referential(write_referential(tmp_path / "ref.yaml", reqs), target_file, tmp_path / "run")


def test_different_parameters_are_different_executions(tmp_path: Path, target_file: Path) -> None:
    log = tmp_path / "executions.log"
    other = tmp_path / "other.log"
    doc = _two_requirements(tmp_path, target_file, "engine.outcome.count", str(log), str(other))
    assert _executions(log) == _executions(other) == 1
    assert all(c["shared_from"] is None for c in _checks(doc).values())


def test_a_check_that_reads_its_requirement_runs_for_each(tmp_path: Path, target_file: Path) -> None:
    log = tmp_path / "executions.log"
    doc = _two_requirements(tmp_path, target_file, "engine.outcome.count_per_requirement", str(log), str(log))
    assert log.read_text().split() == ["R.a", "R.b"]  # the same parameters, but it may act on its requirement
    assert all(c["shared_from"] is None for c in _checks(doc).values())


def test_checks_declared_together_run_in_one_worker(
    tmp_path: Path, target_file: Path, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cases of checks declared `together` (their cached work is a process's) all go to
    one of the run's xdist workers, interleaved with other cases as they are in the referential."""
    together = tmp_path / "together.log"
    reqs = []
    for n in range(6):
        reqs.append(requirement(f"T.{n}", "engine.outcome.count_together", with_={"log": str(together), "n": n}))
        reqs.append(requirement(f"A.{n}", "engine.outcome.sleep", with_={"seconds": 0.3, "visit": n}))
    ref = write_referential(tmp_path / "ref.yaml", reqs)
    out = tmp_path / "run"
    out.mkdir()
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    result = pytester.runpytest_subprocess(*pytest_args(ref, target_file, out, workers=2, extra=["-p", "enginechecks"]))
    assert result.ret == 0, result.stdout.str()
    pids = together.read_text().split()
    assert len(pids) == 6 and len(set(pids)) == 1, pids
    # the progress lines name the cases as without workers (no xdist group suffix)
    shown = [line for line in result.stdout.lines if "engine.outcome.count_together" in line]
    assert len(shown) == 6 and not any("@" in line for line in shown), shown
