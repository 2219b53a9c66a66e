"""The collector of a supervised session (issue 18.2): what the supervisor holds when it forks
the session, and the session's own plan, cases and items once collected, are frozen in the
session's process (its collections no longer walk them); the caller's collector is given
back as it was, and a session run in the caller's process leaves it alone. The run records
the same results and evidence either way."""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_support import recorded, requirement, write_referential

from homolog import plugin, supervisor
from homolog.testing import run_referential


@pytest.fixture(autouse=True)
def _collector_as_found() -> Iterator[None]:
    assert gc.get_freeze_count() == 0, "a test before this one left objects frozen"
    yield
    gc.unfreeze()


def _collector_seen(tmp_path: Path, target_file: Path, name: str, **kw: object) -> dict[str, int]:
    ref = write_referential(tmp_path / f"{name}.yaml", [requirement("R.1", "engine.process.collector")])
    doc = run_referential(ref, target_file, tmp_path / name, **kw)
    evidence = doc["requirements"][0]["checks"][0]["evidence"]
    return json.loads((tmp_path / name / evidence[0]).read_text())  # type: ignore[no-any-return]


def test_a_supervised_session_runs_its_checks_with_long_lived_objects_frozen(tmp_path: Path, target_file: Path) -> None:
    seen = _collector_seen(tmp_path, target_file, "supervised")
    assert seen["pid"] != os.getpid()  # the session's own process
    assert seen["frozen"] > 0
    assert gc.get_freeze_count() == 0  # the caller's collector is given back
    assert not _frozen(seen)


def test_a_session_in_the_callers_process_leaves_its_collector_alone(tmp_path: Path, target_file: Path) -> None:
    seen = _collector_seen(tmp_path, target_file, "in-process", supervise=False)
    assert seen == {"pid": os.getpid(), "frozen": 0}
    assert gc.get_freeze_count() == 0


def _frozen(obj: object) -> bool:
    """Whether the collector leaves `obj` (a container it tracks) frozen: no generation holds it."""
    return gc.is_tracked(obj) and not any(o is obj for o in gc.get_objects())


def test_a_caller_that_froze_objects_keeps_them_frozen(tmp_path: Path, target_file: Path) -> None:
    mine: list[object] = [object()]
    gc.freeze()
    assert _frozen(mine)
    seen = _collector_seen(tmp_path, target_file, "caller-frozen")
    assert seen["frozen"] > 0
    assert _frozen(mine)


def test_a_run_records_the_same_with_and_without_freezing(
    tmp_path: Path, target_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reqs = [
        requirement("R.1", "engine.fixtures.every", with_={"path": "/ok"}),
        requirement("R.2", "engine.http.status", with_={"path": "/cookie"}),
        requirement("R.3", "engine.http.authed", with_={"path": "/echo"}),
        requirement("R.4", "engine.outcome.fail"),
        requirement("R.5", "engine.evidence.secret"),
    ]
    ref = write_referential(tmp_path / "ref.yaml", reqs)
    run_referential(ref, target_file, tmp_path / "frozen")
    monkeypatch.setattr(supervisor.gc, "freeze", lambda: None)
    monkeypatch.setattr(plugin.gc, "freeze", lambda: None)
    run_referential(ref, target_file, tmp_path / "not-frozen")
    assert recorded(tmp_path / "frozen") == recorded(tmp_path / "not-frozen")
