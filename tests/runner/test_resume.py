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


def _homolog(*args: str) -> list[str]:
    return [sys.executable, "-m", "homolog.cli", *args]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
    return env


def _referential(tmp_path: Path) -> Path:
    reqs = []
    for i in range(N):
        check = "engine.outcome.fail" if i % 4 == 3 else "engine.outcome.sleep"
        reqs.append(
            requirement(f"R.{i:02d}", check, **({"with_": {"seconds": 0.4}} if check.endswith("sleep") else {}))
        )
    return write_referential(tmp_path / "ref.yaml", reqs)


def _lines(run: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]


def test_sigkill_then_resume_equals_uninterrupted_run(tmp_path: Path, target_file: Path) -> None:
    ref = _referential(tmp_path)
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        _homolog(
            "run",
            "-r",
            str(ref),
            "-t",
            str(target_file),
            "--out",
            str(killed),
            "--report",
            "",
            "--",
            "-p",
            "enginechecks",
        ),
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
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

    resumed = subprocess.run(
        _homolog("run", "--resume", str(killed), "--report", "", "--", "-p", "enginechecks"),
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 100, resumed.stderr + resumed.stdout
    after = _lines(killed)
    assert len(after) == N, "finished checks were re-run or some were lost"
    assert after[: len(before)] == before
    assert len({rec["key"] for rec in after}) == N

    clean = tmp_path / "clean"
    subprocess.run(
        _homolog(
            "run",
            "-r",
            str(ref),
            "-t",
            str(target_file),
            "--out",
            str(clean),
            "--report",
            "",
            "--",
            "-p",
            "enginechecks",
        ),
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
    args = _homolog(
        "run", "-r", str(ref), "-t", str(target_file), "--out", str(out), "--report", "", "--", "-p", "enginechecks"
    )
    assert subprocess.run(args, env=_env(), capture_output=True, timeout=60).returncode == 100
    second = subprocess.run(args, env=_env(), capture_output=True, text=True, timeout=60)
    assert second.returncode == 1
    assert "already holds a run" in second.stdout + second.stderr
    assert "Traceback" not in second.stderr
