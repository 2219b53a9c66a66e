"""Hypothesis-driven robustness check: clean SUT passes, wrong-key SUT fails, runs replay."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from homolog.testing import run_check

CHECK = "identity.robustness.malformed"


def _evidence(res: Any, name: str) -> Any:
    path = next(p for p in res.evidence if p.name.endswith(name))
    return json.loads(path.read_text(encoding="utf-8"))


def test_clean_sut_survives_200_malformed_identities(clean_sut: Any, tmp_path: Path) -> None:
    res = run_check(CHECK, clean_sut.target_path, tmp_path=tmp_path, params={"examples": 200, "seed": 7})
    assert res.verdict == "passed", res.message
    summary = _evidence(res, "robustness-summary.json")
    assert summary["sent"] >= 200
    assert "5xx" not in summary["status_classes"]


def test_unchecked_key_is_caught_and_replays_with_the_same_seed(refsut: Callable[..., Any], tmp_path: Path) -> None:
    runs = []
    for i in range(2):
        # a fresh SUT each time: the first run's accepted patients would make the
        # replay's identical examples duplicates, which the SUT refuses
        sut = refsut(defects={"ins-key-unchecked"})
        out = tmp_path / f"r{i}"
        out.mkdir()
        runs.append(run_check(CHECK, sut.target_path, tmp_path=out, params={"examples": 80, "seed": 11}))
    assert [r.verdict for r in runs] == ["failed", "failed"]
    assert "accepted invalid INS" in (runs[0].message or "")
    first, second = (_evidence(r, "robustness-failures.json") for r in runs)
    assert [f["problem"] for f in first] == [f["problem"] for f in second]
    assert first[0]["patient"]["resourceType"] == "Patient"  # the example is in the evidence


def test_reset_after_a_server_error_keeps_what_was_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A server that crashes (500) on a malformed birth date, then resets the connection
    # the next request arrives on: each outcome is its example's, every run the same.
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "fhir"))
    from resetfhir import TOKEN, TOKEN_ENV, reset_fhir_target

    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    with reset_fhir_target(tmp_path, crash_on="bad-birth-date") as target:
        runs = [run_check(CHECK, target, tmp_path=tmp_path, params={"examples": 60, "seed": 5}) for _ in range(3)]
    assert [r.verdict for r in runs] == ["failed"] * 3, [r.message for r in runs]
    assert len({r.message for r in runs}) == 1
    problems = [f["problem"] for f in _evidence(runs[0], "robustness-failures.json")]
    assert "server error 500" in problems
    assert "connection broken before a complete answer for POST /Patient" in problems
    assert _evidence(runs[0], "robustness-summary.json")["seed"] == 5
