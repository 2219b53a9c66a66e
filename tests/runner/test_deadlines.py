"""Deadlines a hostile SUT cannot stretch: one per HTTP exchange, one per check, enforced from outside.

pytest-timeout guards every test here: a deadline that does not hold shows as a test
stopped by the guard, never as a timed assertion.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from engine_support import requirement, write_referential

from homolog.deadlines import DEFAULT_CHECK_TIMEOUT, CheckTimeout, check_deadline, check_timeout
from homolog.errors import HttpError
from homolog.evidence import Evidence
from homolog.http import HttpClient
from homolog.target import load_target
from homolog.testing import run_referential

HERE = Path(__file__).resolve().parent


def _target(path: Path, web: str, **timeouts: object) -> Path:
    """A target whose per-operation read timeout (10 s) never fires before the deadlines under test."""
    path.write_text(
        yaml.safe_dump(
            {
                "format": "homolog.target/1",
                "system": {"name": "engine test server", "version": "1"},
                "base_urls": {"web": web},
                "timeouts": {"read": 10, **timeouts},
            }
        )
    )
    return path


def _exchange_error(tmp_path: Path, web_server: str, path: str) -> tuple[str, dict]:  # type: ignore[type-arg]
    target = load_target(_target(tmp_path / "t.yaml", web_server, exchange=3))
    ev = Evidence(tmp_path / "run", "case")
    with HttpClient(target, ev) as client, pytest.raises(HttpError) as info:
        client.get(path, base="web")
    return str(info.value), json.loads((ev.run_dir / ev.paths[-1]).read_text())


@pytest.mark.timeout(30)
def test_headers_dripped_a_byte_every_two_seconds_end_at_the_exchange_deadline(tmp_path: Path, web_server: str) -> None:
    message, exchange = _exchange_error(tmp_path, web_server, "/drip-headers")
    # each byte came well within the 10 s read timeout: only the exchange's deadline ends it
    assert "exceeded the 3 s deadline of one exchange (connect, TLS, headers and body)" in message
    assert "the response not read further" in message
    assert exchange["response"] is None and "3 s deadline" in exchange["error"]


@pytest.mark.timeout(30)
def test_a_body_dripped_a_byte_a_second_ends_at_the_exchange_deadline(tmp_path: Path, web_server: str) -> None:
    message, exchange = _exchange_error(tmp_path, web_server, "/drip-body")
    assert "exceeded the 3 s deadline of one exchange" in message and "the body not read further" in message
    # what came before the deadline is in the evidence: the status line, the headers, some bytes
    assert exchange["response"]["status"] == 200
    assert 0 < exchange["response"]["body_bytes"] < 60


@pytest.mark.timeout(60)
def test_a_check_parsing_for_ever_ends_error_at_its_deadline_and_the_run_goes_on(
    tmp_path: Path, web_server: str
) -> None:
    # the target gives this check 2 s (the check declares nothing, the default would be 120)
    target = _target(tmp_path / "t.yaml", web_server, checks={"engine.deadline.regex": 2})
    ref = write_referential(
        tmp_path / "r.yaml",
        [requirement("R.regex", "engine.deadline.regex"), requirement("R.after", "engine.http.status")],
    )
    doc = run_referential(ref, target, tmp_path / "run", extra_args=["-p", "enginechecks"])
    regex, after = doc["requirements"]
    assert regex["verdict"] == "error"
    assert regex["checks"][0]["message"].startswith("exceeded 2 s: the check was stopped at its deadline")
    assert "killed" not in regex["checks"][0]["message"]  # the signal stopped it: no process was killed
    assert after["verdict"] == "passed"


def _stuck_run(tmp_path: Path, web_server: str) -> tuple[Path, Path]:
    target = _target(tmp_path / "t.yaml", web_server)
    ref = write_referential(
        tmp_path / "r.yaml",
        [
            requirement("R.before", "engine.http.status"),
            requirement("R.stuck", "engine.deadline.native", with_={"log": str(tmp_path / "stuck.log")}),
            requirement("R.after", "engine.http.status"),
        ],
    )
    return ref, target


def _assert_stuck_recorded(doc: dict, out: Path) -> None:  # type: ignore[type-arg]
    verdicts = {r["id"]: r["verdict"] for r in doc["requirements"]}
    assert verdicts == {"R.before": "passed", "R.stuck": "error", "R.after": "passed"}
    stuck = doc["requirements"][1]["checks"][0]
    assert stuck["message"].startswith("exceeded 1 s: the check did not stop at its deadline")
    assert "process was killed" in stuck["message"]
    # the evidence written before it got stuck is kept and listed
    assert [Path(p).name.partition("@")[2] for p in stuck["evidence"]] == ["01-before.txt"]
    assert (out / stuck["evidence"][0]).read_text() == "written before the check got stuck"
    lines = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(lines) == 3 and len({line["key"] for line in lines}) == 3  # nothing ran twice
    # nor was the stuck check started again (in a resumed session, or a replacement worker)
    assert len((out.parent / "stuck.log").read_text().splitlines()) == 1


@pytest.mark.timeout(120)
def test_a_check_stuck_in_native_code_is_killed_recorded_and_the_run_goes_on(tmp_path: Path, web_server: str) -> None:
    # the check declares 1 s; the signal cannot reach C code that never polls for it, so the
    # supervisor kills the session past the grace, records the verdict, and a new session
    # resumes the run
    ref, target = _stuck_run(tmp_path, web_server)
    out = tmp_path / "run"
    _assert_stuck_recorded(run_referential(ref, target, out, extra_args=["-p", "enginechecks"]), out)


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_an_xdist_worker_stuck_in_native_code_is_killed_and_replaced(tmp_path: Path, web_server: str) -> None:
    ref, target = _stuck_run(tmp_path, web_server)
    out = tmp_path / "run"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    argv = ["run", "-r", str(ref), "-t", str(target), "--out", str(out), "-n", "2", "--report", ""]
    done = subprocess.run(
        [sys.executable, "-m", "homolog.cli", *argv, "--", "-p", "enginechecks"],
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert done.returncode == 101, done.stdout + done.stderr
    _assert_stuck_recorded(json.loads((out / "run.json").read_text()), out)


def test_the_target_per_check_timeout_beats_the_check_and_the_default() -> None:
    assert check_timeout("engine.x.y", None, {}) == DEFAULT_CHECK_TIMEOUT == 120
    assert check_timeout("engine.x.y", 7, {}) == 7.0  # the check's own
    assert check_timeout("engine.x.y", None, {"check": 30}) == 30.0  # the target's default...
    assert check_timeout("engine.x.y", 7, {"check": 30}) == 7.0  # ...is for checks that declare nothing
    assert check_timeout("engine.x.y", 7, {"check": 30, "checks": {"engine.x.y": 3}}) == 3.0  # the target's word wins


def test_a_deadline_inside_a_deadline_and_a_timer_already_armed_are_kept() -> None:
    import signal
    import time

    fired: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(signum))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30)  # someone else's timer (pytest-timeout's kind)
        with check_deadline(5), check_deadline(1):  # the outer one governs
            pass
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 25 < left <= 30  # given back with what it had left
        with pytest.raises(CheckTimeout, match=r"exceeded 0\.2 s"), check_deadline(0.2):
            for _ in range(1000):  # bounded: the guard is the raise, not a clock
                time.sleep(0.01)
        assert signal.getsignal(signal.SIGALRM) is not None and not fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.timeout(120)
def test_a_killed_execution_is_the_verdict_of_every_requirement_it_serves(tmp_path: Path, web_server: str) -> None:
    # one execution for two requirements (same check, same parameters): the supervisor's
    # record of the kill is written for both, with the evidence the execution left
    target = _target(tmp_path / "t.yaml", web_server)
    ref = write_referential(
        tmp_path / "r.yaml",
        [requirement("R.stuck", "engine.deadline.native"), requirement("R.also", "engine.deadline.native")],
    )
    out = tmp_path / "run"
    doc = run_referential(ref, target, out, extra_args=["-p", "enginechecks"])
    stuck, also = (r["checks"][0] for r in doc["requirements"])
    assert stuck["verdict"] == also["verdict"] == "error"
    assert also["message"] == stuck["message"] and "process was killed" in also["message"]
    assert also["shared_from"].startswith("R.stuck::engine.deadline.native::") and stuck["shared_from"] is None
    assert also["evidence"] == stuck["evidence"]
    assert [Path(p).name.partition("@")[2] for p in also["evidence"]] == ["01-before.txt"]
    lines = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(line["requirement"] for line in lines) == ["R.also", "R.stuck"]  # nothing ran twice
