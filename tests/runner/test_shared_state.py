"""State shared by the processes of one run: exclusive across processes, saved whatever the outcome.

The checks that rely on it under `-n 2`: tests/suites/security/test_shared_accounts.py.
"""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from homolog import SharedState


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
