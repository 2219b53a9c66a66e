"""homolog.reports.diff: regressions, fixes, other changes, added and removed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from synthrun import SynthCheck, SynthReq, build_run

from homolog.reports import ReportError
from homolog.reports.diff import diff_runs


def _runs(tmp_path: Path, before: list[SynthReq], after: list[SynthReq]) -> tuple[Path, Path]:
    return build_run(tmp_path / "a", before), build_run(tmp_path / "b", after)


def test_diff_sorts_changes_by_direction(tmp_path: Path) -> None:
    a, b = _runs(
        tmp_path,
        [
            SynthReq("R.worse", "passed", checks=[SynthCheck("c.one", "passed")]),
            SynthReq("R.better", "failed"),
            SynthReq("R.cause", "failed"),
            SynthReq("R.same", "passed"),
            SynthReq("R.gone", "failed"),
            SynthReq("R.na_to_error", "not_applicable"),
            SynthReq("R.settled", "passed"),
        ],
        [
            SynthReq(
                "R.worse",
                "failed",
                checks=[SynthCheck("c.one", "failed", "HSTS absent\nmore")],
            ),
            SynthReq("R.better", "passed"),
            SynthReq("R.cause", "error"),
            SynthReq("R.same", "passed"),
            SynthReq("R.new", "failed"),
            SynthReq("R.na_to_error", "error"),
            SynthReq("R.settled", "attested"),
        ],
    )
    d = diff_runs(a, b)
    assert [c.id for c in d.regressions] == ["R.worse", "R.na_to_error"]
    # the engine's precedence: error is less severe than failed (undecided, not non-compliant)
    assert [c.id for c in d.fixes] == ["R.better", "R.cause"]
    assert [(c.id, c.before, c.after) for c in d.changes] == [("R.settled", "passed", "attested")]
    assert d.added == [("R.new", "failed")]
    assert d.removed == [("R.gone", "failed")]
    assert d.unchanged == 1
    assert d.has_regression
    worse = d.regressions[0]
    assert worse.checks == (("c.one", "passed", "failed"),)
    assert worse.message.startswith("HSTS absent")
    text = d.to_text()
    assert "REGRESSIONS (2):" in text
    assert "R.worse: passed -> failed" in text and "c.one: passed -> failed" in text
    assert "2 regression(s), 2 fix(es), 1 other change(s), 1 added, 1 removed, 1 unchanged" in text
    doc = json.loads(d.to_json())
    assert doc["format"] == "homolog.diff/1" and doc["has_regression"] is True
    assert [r["id"] for r in doc["regressions"]] == ["R.worse", "R.na_to_error"]
    assert doc["added"] == [{"id": "R.new", "verdict": "failed"}]


def test_identical_runs_have_no_regression(tmp_path: Path) -> None:
    reqs = [SynthReq("R.1", "passed"), SynthReq("R.2", "failed"), SynthReq("R.3", "waived")]
    a, b = _runs(tmp_path, reqs, reqs)
    d = diff_runs(a, b)
    assert not d.has_regression
    assert (d.regressions, d.fixes, d.changes, d.added, d.removed) == ([], [], [], [], [])
    assert d.unchanged == 3


def test_waiver_expiring_back_to_failed_is_a_regression(tmp_path: Path) -> None:
    a, b = _runs(tmp_path, [SynthReq("R.1", "waived")], [SynthReq("R.1", "failed")])
    assert diff_runs(a, b).has_regression
    assert not diff_runs(b, a).has_regression


def test_unreadable_run_raises_report_error(tmp_path: Path) -> None:
    a = build_run(tmp_path / "a", [SynthReq("R.1", "passed")])
    with pytest.raises(ReportError, match="not a directory"):
        diff_runs(a, tmp_path / "missing")


def test_error_to_failed_is_a_regression(tmp_path: Path) -> None:
    a, b = _runs(tmp_path, [SynthReq("R.1", "error")], [SynthReq("R.1", "failed")])
    d = diff_runs(a, b)
    assert [(c.id, c.before, c.after) for c in d.regressions] == [("R.1", "error", "failed")]
    assert diff_runs(b, a).fixes[0].id == "R.1"


def test_a_requirement_not_run_in_one_run_is_not_compared(tmp_path: Path) -> None:
    a, b = _runs(
        tmp_path,
        [SynthReq("R.1", "passed"), SynthReq("R.2", "deselected", checks=[SynthCheck("c.x", "deselected")])],
        [SynthReq("R.1", "deselected", checks=[SynthCheck("c.x", "deselected")]), SynthReq("R.2", "failed")],
    )
    d = diff_runs(a, b)
    assert not d.has_regression and not d.fixes and not d.changes
    assert d.not_compared == [("R.1", "passed", "deselected"), ("R.2", "deselected", "failed")]
    assert "not compared, not run in one of the runs (2):" in d.to_text()
