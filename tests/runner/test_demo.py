"""`homolog demo`: starts the reference SUT, runs, reports, and leaves nothing behind."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from engine_support import interruptible, requirement, write_referential

HERE = Path(__file__).resolve().parent


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
    return env


def _ports_in(text: str) -> set[int]:
    return {int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", text)}


def _closed(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) != 0


def _children_of(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                out.append(int(entry.name))
    return out


def test_list_defects() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "homolog.cli", "demo", "--list-defects"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0
    names = {line.split()[0] for line in result.stdout.splitlines() if line.strip()}
    for required in (
        "ins-key-unchecked",
        "ins-exposed-unqualified",
        "banner-missing-traits",
        "no-operation-outcome",
        "patient-profile-broken",
        "search-ignores-params",
        "tls10-enabled",
        "no-hsts",
        "no-lockout",
        "no-session-timeout",
        "psc-no-acr",
        "stacktrace-leak",
        "img-without-alt",
        "low-contrast",
        "missing-lang",
        "cda-invalid",
        "cda-wrong-ins-oid",
    ):
        assert required in names


def test_unknown_defect_is_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "homolog.cli", "demo", "--defects", "no-hstss"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "no-hstss" in result.stderr and "Traceback" not in result.stderr


def _demo_command(ref: Path, out: Path, report: str) -> list[str]:
    """`homolog demo` of a test referential made of the engine's test checks."""
    argv = ["-m", "homolog.cli", "demo", "-r", str(ref), "--out", str(out), "--report", report]
    return [sys.executable, *argv, "--", "-p", "enginechecks"]


@pytest.mark.slow
def test_demo_runs_reports_and_stops_everything(tmp_path: Path) -> None:
    ref = write_referential(tmp_path / "ref.yaml", [requirement("R.1", "engine.outcome.sleep")], id="demo-small")
    out = tmp_path / "run"
    result = subprocess.run(
        _demo_command(ref, out, "html,junit"),
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "status: COMPLIANT" in result.stdout and "html report:" in result.stdout
    assert (out / "reports").is_dir()
    ports = _ports_in(result.stdout)
    assert ports and all(_closed(p) for p in ports)


@pytest.mark.slow
def test_ctrl_c_stops_the_sut(tmp_path: Path) -> None:
    ref = write_referential(
        tmp_path / "ref.yaml",
        [requirement(f"R.{i}", "engine.outcome.sleep", with_={"seconds": 2.0, "visit": i}) for i in range(30)],
        id="demo-long",
    )
    proc = subprocess.Popen(
        interruptible(_demo_command(ref, tmp_path / "run", "")),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(),
    )
    assert proc.stdout is not None
    seen = ""
    deadline = time.monotonic() + 120
    while "SUT on" not in seen and time.monotonic() < deadline:
        seen += proc.stdout.readline()
    results = tmp_path / "run" / "results.jsonl"
    while time.monotonic() < deadline and not (results.exists() and results.read_bytes().count(b"\n") >= 1):
        time.sleep(0.1)
    children = _children_of(proc.pid)
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=60)
    seen += rest
    assert proc.returncode != 0
    ports = _ports_in(seen)
    assert ports and all(_closed(p) for p in ports)
    time.sleep(0.5)
    alive = [c for c in children if Path(f"/proc/{c}").exists()]
    assert not alive, f"processes left behind: {alive}"
    # the verdicts reached before the interruption are kept
    lines = (tmp_path / "run" / "results.jsonl").read_text().splitlines()
    assert lines


def test_the_built_in_demo_runs_in_two_processes_where_two_cores_allow() -> None:
    from homolog.demo import DEFAULT_REFERENTIAL, DEMO_WORKERS, default_workers

    assert DEMO_WORKERS == 2
    assert default_workers(None, cpus=2) == default_workers(DEFAULT_REFERENTIAL, cpus=8) == 2
    # one core: workers would only compete for it; a referential of one's own may be short
    assert default_workers(None, cpus=1) == 0
    assert default_workers("segur-dpi", cpus=8) == default_workers("./mine.yaml", cpus=8) == 0
