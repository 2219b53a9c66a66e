"""`homolog demo`: starts the reference SUT, runs, reports, and leaves nothing behind."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from engine_support import interruptible, requirement, write_referential

HERE = Path(__file__).resolve().parent


def _env(mark: str = "") -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
    if mark:
        env[_MARK] = mark  # inherited by every process the demo starts (Chromium too)
    return env


_MARK = "HOMOLOG_TEST_DEMO_MARK"


def _ports_in(text: str) -> set[int]:
    return {int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", text)}


def _closed(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) != 0


def _marked(mark: str) -> list[int]:
    """Processes started with the demo's mark in their environment: the demo and its descendants."""
    needle = f"{_MARK}={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _listeners(port: int) -> set[int]:
    """Processes holding a listening TCP socket on ``port``."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{fields[9]}]")
    owners = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and inodes:
            with contextlib.suppress(OSError):
                if any(os.readlink(fd) in inodes for fd in (entry / "fd").iterdir()):
                    owners.add(int(entry.name))
    return owners


def _left_behind(ports: set[int], mark: str) -> list[str]:
    """What the demo left running: its processes, and its ports still listening.

    A port the demo used may be listening again by the time it is probed: tests running
    beside this one bind ports of their own, and the kernel hands out freed numbers again.
    Such a port is the demo's leftover only when one of the demo's processes holds it;
    one nobody holds (or only processes that are not the demo's) is not.
    """
    deadline = time.monotonic() + 15  # a process on its way out under load is not left behind
    while (alive := _marked(mark)) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [f"process {pid}: {_cmdline(pid)}" for pid in alive]
    for port in sorted(ports):
        if not _closed(port):
            holders = _listeners(port)
            if holders & set(alive) or (not holders and not _closed(port)):
                left.append(f"port {port} listening ({', '.join(_cmdline(p) for p in holders) or 'holder unknown'})")
    return left


def _cmdline(pid: int) -> str:
    try:
        return (Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip())[:200]
    except OSError:
        return "(gone)"


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
    mark = secrets.token_hex(8)
    result = subprocess.run(
        _demo_command(ref, out, "html,junit"),
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(mark),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "status: COMPLIANT" in result.stdout and "html report:" in result.stdout
    assert (out / "reports").is_dir()
    ports = _ports_in(result.stdout)
    assert ports
    assert not _left_behind(ports, mark)


@pytest.mark.slow
def test_ctrl_c_stops_the_sut(tmp_path: Path) -> None:
    ref = write_referential(
        tmp_path / "ref.yaml",
        [requirement(f"R.{i}", "engine.outcome.sleep", with_={"seconds": 2.0, "visit": i}) for i in range(30)],
        id="demo-long",
    )
    mark = secrets.token_hex(8)
    proc = subprocess.Popen(
        interruptible(_demo_command(ref, tmp_path / "run", "")),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(mark),
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
    assert ports
    assert not _left_behind(ports, mark)
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
