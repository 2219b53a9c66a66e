"""The run directory's lock and the reading of results.jsonl (issue 14.5)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from homolog.errors import RunError
from homolog.runstore import LOCK_FILE, QUARANTINE, RunStore


def _line(key: str, verdict: str, **extra: object) -> bytes:
    return (json.dumps({"key": key, "verdict": verdict, "message": None, "evidence": [], **extra}) + "\n").encode()


def test_a_held_folder_is_refused_naming_the_folder_and_the_holder_pid(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    with store.lock():
        assert (tmp_path / LOCK_FILE).read_text().strip() == str(os.getpid())
        with pytest.raises(RunError) as refused, RunStore(tmp_path).lock():
            pass  # pragma: no cover
    message = str(refused.value)
    assert str(tmp_path) in message
    assert f"pid {os.getpid()}" in message
    assert "still alive" in message
    assert not (tmp_path / LOCK_FILE).exists()
    with store.lock():  # released at the end: the folder can be taken again
        pass


def test_the_lock_of_a_killed_holder_does_not_block(tmp_path: Path) -> None:
    holder = textwrap.dedent(
        f"""
        import sys, time
        from homolog.runstore import RunStore
        with RunStore({str(tmp_path)!r}).lock():
            print("held", flush=True)
            time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with pytest.raises(RunError, match=f"pid {proc.pid}"), RunStore(tmp_path).lock():
            pass  # pragma: no cover
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
    assert (tmp_path / LOCK_FILE).read_text().strip() == str(proc.pid)  # left behind by the kill
    with RunStore(tmp_path).lock():
        assert (tmp_path / LOCK_FILE).read_text().strip() == str(os.getpid())


def test_corrupt_lines_are_located_and_the_first_verdict_stands(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    store.results_path.write_bytes(
        _line("R.1::a", "failed")
        + _line("R.2::b", "bogus")
        + b"not json\n"
        + _line("R.1::a", "passed")
        + b"[1, 2]\n"
        + _line("R.3::c", "passed", evidence=["/etc/passwd"])
        + _line("R.4::d", "error", duration=True)
        + _line("R.5::e", "skipped")
        + b'{"key": "R.6::torn", "verd'
    )
    results, bad = store.read_results()
    assert {k: r["verdict"] for k, r in results.items()} == {"R.1::a": "failed", "R.5::e": "skipped"}
    described = [b.describe() for b in bad]
    assert described[0].startswith("results.jsonl line 2: verdict 'bogus' of R.2::b is not a verdict")
    assert described[1] == "results.jsonl line 3: not JSON"
    assert described[2] == "results.jsonl line 4: a second result for R.1::a: the first one stands"
    assert described[3] == "results.jsonl line 5: not a JSON object"
    assert described[4].startswith("results.jsonl line 6: the evidence of R.3::c")
    assert described[5].startswith("results.jsonl line 7: the duration of R.4::d")
    assert len(bad) == 6


def test_repair_moves_corrupt_lines_aside_and_cuts_a_torn_tail(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    good = _line("R.1::a", "failed") + _line("R.5::e", "passed")
    store.results_path.write_bytes(
        _line("R.1::a", "failed") + _line("R.2::b", "bogus") + _line("R.5::e", "passed") + b'{"key": "R.6'
    )
    moved = store.repair()
    assert [b.number for b in moved] == [2]
    assert store.results_path.read_bytes() == good
    quarantined = [json.loads(x) for x in (tmp_path / QUARANTINE).read_text().splitlines()]
    assert quarantined == [
        {"line": 2, "reason": moved[0].reason, "raw": _line("R.2::b", "bogus").decode().rstrip("\n")}
    ]
    assert store.repair() == []  # a clean file is left as it is
    assert store.results_path.read_bytes() == good


def test_clean_results_have_no_bad_lines(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    store.results_path.write_bytes(_line("R.1::a", "failed", duration=0.2, started="2026-01-01T00:00:00Z"))
    assert store.repair() == []
    assert list(store.read_results()[0]) == ["R.1::a"]


def test_results_file_that_is_a_folder_is_a_run_error(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    store.results_path.mkdir()
    with pytest.raises(RunError, match="is a folder, not the results file"):
        store.repair()


def test_an_unsupervised_run_takes_the_lock_in_the_plugin(
    tmp_path: Path, target_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine_support import requirement, write_referential

    import homolog.api
    from homolog.errors import ConfigError

    ref = write_referential(tmp_path / "r.yaml", [requirement("R.1", "engine.outcome.fail")])
    out = tmp_path / "run"
    out.mkdir()
    with RunStore(out).lock(), pytest.raises(ConfigError):
        homolog.api.run(ref, target_file, out=out, supervise=False, extra=["-p", "enginechecks"])
    said = capsys.readouterr()
    assert f"pid {os.getpid()}" in said.out + said.err and "still alive" in said.out + said.err
    assert not (out / "results.jsonl").exists()  # refused before anything was written
    result = homolog.api.run(ref, target_file, out=out, supervise=False, extra=["-p", "enginechecks"])
    assert result.document.requirement("R.1").shown == "failed"
    assert not (out / LOCK_FILE).exists()


def test_a_resume_sweeps_the_evidence_of_checks_killed_with_their_session(tmp_path: Path) -> None:
    files = {
        "evidence/R.1--c--a@01-http.json": True,  # its result names it
        "evidence/R.2--c--b@01-http.json": False,  # its check was killed with the session: it runs again
        "evidence/R.2--c--b@02-shot.png": False,
        "evidence/attestations/R.3--proof.pdf": True,  # the run's copies of attestations
        "evidence/_cleanup@01-http.json": True,  # the run's own clean-up
        "evidence/notes.txt": True,  # not named as a check's evidence: not the run's to remove
        "evidence/R.4--c--d/01-http.json": False,  # the earlier layout, a folder per check, unnamed
        "evidence/R.5--c--e/01-http.json": True,  # the earlier layout, named
    }
    for rel in files:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    (tmp_path / "results.jsonl").write_bytes(
        _line("R.1::c::a", "passed", evidence=["evidence/R.1--c--a@01-http.json"])
        + _line("R.5::c::e", "failed", evidence=["evidence/R.5--c--e/01-http.json"])
    )
    removed = RunStore(tmp_path).sweep_evidence()
    assert removed == ["evidence/R.2--c--b@01-http.json", "evidence/R.2--c--b@02-shot.png", "evidence/R.4--c--d/"]
    assert {rel: (tmp_path / rel).exists() for rel in files} == files
