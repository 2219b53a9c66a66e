"""State shared by the processes of one run: exclusive, saved, and enough for checks under `-n 2`."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from homolog import SharedState
from homolog.testing import run_referential


def _count(folder: str, times: int) -> None:
    state = SharedState(Path(folder))
    for _ in range(times):
        with state.hold("tests.counter", "one") as record:
            seen = record.get("n", 0)
            time.sleep(0.001)  # widen the window a lost update would need
            record["n"] = seen + 1


def test_hold_is_exclusive_across_processes(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_count, args=(str(tmp_path), 40)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0]
    with SharedState(tmp_path).hold("tests.counter", "one") as record:
        assert record == {"n": 80}


def test_a_record_is_saved_even_when_the_check_fails(tmp_path: Path) -> None:
    state = SharedState(tmp_path)
    with pytest.raises(AssertionError), state.hold("tests.ns", "account") as record:
        record["changed"] = True
        raise AssertionError("the check failed after changing the account")
    with state.hold("tests.ns", "account") as record:
        assert record == {"changed": True}
    with state.hold("tests.ns", "another") as record:
        assert record == {}


def _referential(folder: Path) -> Path:
    checks = [
        ("security.auth.lockout", {"max_failures": 10}),
        ("security.auth.lockout", {"max_failures": 7}),
        ("security.auth.password_policy", {"min_length": 15}),
        ("security.auth.password_policy", {"min_length": 12}),
    ]
    ref = {
        "format": "homolog.referential/1",
        "id": "shared-accounts",
        "version": "0.0.0",
        "title": "two requirements per sacrificial account",
        "publisher": "homolog tests",
        "date": "2026-11-22",
        "requirements": [
            {
                "id": f"ACC-{i}",
                "title": check,
                "text": check,
                "level": "exigence",
                "source": {"document": "homolog tests"},
                "checks": [{"check": check, "with": params}],
            }
            for i, (check, params) in enumerate(checks)
        ],
    }
    path = folder / "accounts.yaml"
    path.write_text(yaml.safe_dump(ref, sort_keys=False), encoding="utf-8")
    return path


LOCKOUT, PASSWORD = "security.auth.lockout", "security.auth.password_policy"


@pytest.mark.parametrize(
    ("defects", "expected", "recorded"),
    [
        (set(), ["passed"] * 4, {LOCKOUT, PASSWORD}),
        # an account that never locks leaves nothing to remember; a changed password does
        ({"no-lockout", "weak-password-policy"}, ["failed"] * 4, {PASSWORD}),
    ],
    ids=["clean", "defects"],
)
def test_sacrificial_account_checks_are_right_with_two_workers(
    defects: set[str], expected: list[str], recorded: set[str], refsut: Callable[..., Any], tmp_path: Path
) -> None:
    """Two requirements per account, spread over two workers: each sees what the other did."""
    sut = refsut(defects)
    run = run_referential(_referential(tmp_path), sut.target_path, tmp_path / "run", workers=2)
    checks = [r["checks"][0] for r in run["requirements"]]
    assert [c["verdict"] for c in checks] == expected, [c["message"] for c in checks]
    # the run directory says what the run did to the accounts, without any password
    records = [yaml.safe_load(p.read_text()) for p in (tmp_path / "run" / "shared").glob("*.json")]
    assert {r["namespace"] for r in records} == recorded
    for key, value in sut.env.items():
        for path in (tmp_path / "run").rglob("*"):
            if path.is_file():
                assert value.encode() not in path.read_bytes(), (key, path)
