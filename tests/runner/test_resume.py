"""A run killed with SIGKILL keeps its verdicts; --resume finishes it without re-running them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from engine_support import requirement, write_referential

HERE = Path(__file__).resolve().parent
N = 12
HELD = N - 2  # R.10: a check that sleeps (every fourth requirement fails instead)


def _homolog(*args: str) -> list[str]:
    return [sys.executable, "-m", "homolog.cli", *args]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
    return env


def _referential(tmp_path: Path, *, held_by: Path | None = None) -> Path:
    """N requirements, most of them checks that sleep; with `held_by`, the check of `HELD`
    (the last that sleeps) waits for that file to exist (the run stays alive until the test
    creates it)."""
    reqs = []
    for i in range(N):
        check = "engine.outcome.fail" if i % 4 == 3 else "engine.outcome.sleep"
        sleep = {"with_": {"seconds": 0.4, "visit": i}}  # each its own execution
        if held_by is not None and i == HELD:
            sleep = {"with_": {"visit": i, "until": str(held_by)}}
        reqs.append(requirement(f"R.{i:02d}", check, **(sleep if check.endswith("sleep") else {})))
    return write_referential(tmp_path / "ref.yaml", reqs)


def _run_args(ref: Path, target: Path, out: Path) -> list[str]:
    return _homolog(
        "run", "-r", str(ref), "-t", str(target), "--out", str(out), "--report", "", "--", "-p", "enginechecks"
    )


def _start(ref: Path, target: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        _run_args(ref, target, out), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _resume(run: Path, *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _homolog("run", "--resume", str(run), "--report", "", "--", "-p", "enginechecks"),
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _lines(run: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]


def test_sigkill_then_resume_equals_uninterrupted_run(tmp_path: Path, target_file: Path) -> None:
    ref = _referential(tmp_path)
    killed = tmp_path / "killed"
    proc = _start(ref, target_file, killed)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        path = killed / "results.jsonl"
        if path.exists() and len(path.read_bytes().splitlines()) >= 3:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _lines(killed)  # every line parses: no torn JSONL line
    assert 3 <= len(before) < N
    assert not (killed / "run.json").exists()
    # simulate the worst case too: a torn half line at the end
    with (killed / "results.jsonl").open("ab") as fh:
        fh.write(b'{"key": "R.99::torn')

    resumed = _resume(killed)
    assert resumed.returncode == 100, resumed.stderr + resumed.stdout
    after = _lines(killed)
    assert len(after) == N, "finished checks were re-run or some were lost"
    assert after[: len(before)] == before
    assert len({rec["key"] for rec in after}) == N

    clean = tmp_path / "clean"
    subprocess.run(
        _run_args(ref, target_file, clean),
        env=_env(),
        capture_output=True,
        timeout=120,
    )
    verdicts = lambda run: {
        r["id"]: (r["verdict"], [c["verdict"] for c in r["checks"]])
        for r in json.loads((run / "run.json").read_text())["requirements"]
    }
    assert verdicts(killed) == verdicts(clean)


def test_existing_run_is_not_overwritten(tmp_path: Path, target_file: Path) -> None:
    ref = write_referential(tmp_path / "r.yaml", [requirement("R.1", "engine.outcome.fail")])
    out = tmp_path / "run"
    args = _run_args(ref, target_file, out)
    assert subprocess.run(args, env=_env(), capture_output=True, timeout=60).returncode == 100
    second = subprocess.run(args, env=_env(), capture_output=True, text=True, timeout=60)
    assert second.returncode == 1
    assert "already holds a run" in second.stdout + second.stderr
    assert "Traceback" not in second.stderr


def test_resume_of_a_live_run_is_refused_and_nothing_runs_twice(tmp_path: Path, target_file: Path) -> None:
    # the run's last check waits for `release`: however slow the resume is to start on a
    # loaded machine, the run is still alive when it is tried
    release = tmp_path / "release"
    ref = _referential(tmp_path, held_by=release)
    live = tmp_path / "live"
    proc = _start(ref, target_file, live)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (live / "results.jsonl").exists():
            time.sleep(0.05)
        resumed = _resume(live, timeout=60)
        assert proc.poll() is None, "the first run ended before the resume was tried: the test proves nothing"
    finally:
        release.touch()
        assert proc.wait(timeout=120) == 100
    assert resumed.returncode == 1, resumed.stdout + resumed.stderr
    said = resumed.stdout + resumed.stderr
    assert str(live) in said and f"pid {proc.pid}" in said and "still alive" in said
    assert "Traceback" not in said
    keys = [rec["key"] for rec in _lines(live)]
    assert len(keys) == N == len(set(keys))
    held = {rec["requirement"]: rec["verdict"] for rec in _lines(live)}[f"R.{HELD:02d}"]
    assert held == "passed", "the check holding the run did not wait for its release"
    assert not (live / ".homolog-lock").exists()
    # the finished run verifies: the lock's trace was never part of it
    verify = subprocess.run(_homolog("verify", str(live)), env=_env(), capture_output=True, text=True, timeout=60)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_resume_quarantines_a_bogus_line_with_its_location(tmp_path: Path, target_file: Path) -> None:
    ref = write_referential(
        tmp_path / "r.yaml",
        [requirement("R.1", "engine.outcome.fail"), requirement("R.2", "engine.outcome.sleep", with_={"seconds": 0})],
    )
    out = tmp_path / "run"
    assert (
        subprocess.run(_run_args(ref, target_file, out), env=_env(), capture_output=True, timeout=60).returncode == 100
    )
    lines = (out / "results.jsonl").read_bytes().splitlines(keepends=True)
    failed = next(line for line in lines if b'"failed"' in line)
    key = json.loads(failed)["key"]
    forged = json.dumps(json.loads(failed) | {"verdict": "passed"}).encode() + b"\n"
    bogus = json.dumps({"key": "R.9::x", "verdict": "bogus"}).encode() + b"\n"
    (out / "results.jsonl").write_bytes(b"".join(lines) + bogus + forged)
    (out / "run.json").unlink()

    resumed = _resume(out, timeout=60)
    said = resumed.stdout + resumed.stderr
    assert resumed.returncode == 100, said
    assert "Traceback" not in said
    assert f"results.jsonl line {len(lines) + 1}: verdict 'bogus' of R.9::x is not a verdict" in said
    assert f"results.jsonl line {len(lines) + 2}: a second result for {key}: the first one stands" in said
    assert (out / "results.jsonl").read_bytes() == b"".join(lines)  # the resume had nothing left to run
    assert len((out / "results.quarantined.jsonl").read_text().splitlines()) == 2
    run = json.loads((out / "run.json").read_text())
    assert {r["id"]: r["verdict"] for r in run["requirements"]}["R.1"] == "failed"


def test_unusable_out_is_a_clear_error(tmp_path: Path, target_file: Path) -> None:
    ref = write_referential(tmp_path / "r.yaml", [requirement("R.1", "engine.outcome.fail")])
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    for out, expected in [(a_file, "is a file, not a folder"), (tmp_path / "a-file" / "sub", "cannot write")]:
        proc = subprocess.run(_run_args(ref, target_file, out), env=_env(), capture_output=True, text=True, timeout=60)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert expected in proc.stderr and str(out) in proc.stderr
        assert "Traceback" not in proc.stderr
    missing = subprocess.run(
        _homolog("run", "--resume", str(tmp_path / "nope"), "--report", ""),
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode != 0 and "is not a homolog run directory" in missing.stderr
    assert "Traceback" not in missing.stderr
