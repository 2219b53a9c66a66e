"""Two requirements on one sacrificial account, spread over two xdist workers: each sees what the other did.

The lockout and password-policy checks keep what they did to an account in the run's
shared state (homolog.SharedState), not in a module-level dict that one worker only
would see: with `-n 2` the second requirement on the account reuses the first one's
observation (lockout) or logs in with the password it set (password policy).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from .helpers import run_in_order

LOCKOUT, PASSWORD = "security.auth.lockout", "security.auth.password_policy"
# xdist's load scheduling sends items 0 and 2 to one worker, 1 and 3 to the other:
# each account is used by both workers.
CHECKS = [
    (LOCKOUT, {"max_failures": 10}),
    (LOCKOUT, {"max_failures": 7}),
    (PASSWORD, {"min_length": 15}),
    (PASSWORD, {"min_length": 12}),
]


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
    sut = refsut(defects)
    checks = run_in_order(CHECKS, sut.target_path, tmp_path, name="accounts", workers=2)
    assert [c["verdict"] for c in checks] == expected, [c["message"] for c in checks]
    # the run directory says what the run did to the accounts, without any password
    run_dir = tmp_path / "run-accounts"
    records = [yaml.safe_load(p.read_text()) for p in (run_dir / "shared").glob("*.json")]
    assert {r["namespace"] for r in records} == recorded
    for key, value in sut.env.items():
        for path in run_dir.rglob("*"):
            if path.is_file():
                assert value.encode() not in path.read_bytes(), (key, path)


def test_a_second_process_of_the_run_sees_what_the_first_did(refsut: Callable[..., Any], tmp_path: Path) -> None:
    """Deterministic form of the above: the first requirement of each account in one process,
    the second in another (`--resume`), as two xdist workers would."""
    import subprocess
    import sys

    from homolog.runfile import read_run

    from .helpers import write_checks_referential

    sut = refsut()
    ref = write_checks_referential(CHECKS, tmp_path, name="accounts")
    out = tmp_path / "run"
    base = [sys.executable, "-m", "homolog.cli", "run", "--report", ""]
    first = subprocess.run(
        [*base, "-r", str(ref), "-t", str(sut.target_path), "--out", str(out), "-k", "SEC-00 or SEC-02"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert first.returncode == 101, first.stdout + first.stderr  # incomplete: two requirements not run
    second = subprocess.run([*base, "--resume", str(out)], capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stdout + second.stderr
    assert [r.shown for r in read_run(out).requirements] == ["passed"] * 4
