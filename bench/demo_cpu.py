"""CPU of one demo run, by process kind: the figure the defect matrix pays about 75 times.

    .venv/bin/python bench/demo_cpu.py [RUNS]

Runs `homolog demo -n 0 --report ""` (the built-in referential in one process, as the matrix
runs it, against a demo system started for it) RUNS times (default 1) and prints, per run, its
wall time and the CPU time of its process tree split into the harness and SUT (python), the
Playwright driver (node) and Chromium, plus how many cases the run recorded and how many
executions made them (one execution per check and parameters). The tree is sampled from /proc
every 100 ms; a process's CPU is the last value seen, so processes that live less than that
are missed (a few tens of milliseconds at most).
Compare two commits by running it in a checkout of each, on an idle machine.
"""

from __future__ import annotations

import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, user+system ticks) of every process."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{name}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        out[int(name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return out


def _kind(pid: int) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "python"
    return "chromium" if b"chrom" in cmd else "node" if b"node" in cmd else "python"


def one_run(out: Path) -> dict[str, float]:
    # one process, as the defect matrix runs each demo (`homolog demo` alone uses two where it can)
    command = [sys.executable, "-m", "homolog.cli", "demo", "-n", "0", "--out", str(out), "--report", ""]
    t0 = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    seen: dict[int, int] = {}
    kinds: dict[int, str] = {}
    while proc.poll() is None:
        table = _table()
        for pid, (_, ticks) in table.items():
            walk = pid
            while walk > 1 and walk != proc.pid:
                walk = table.get(walk, (0, 0))[0]
            if walk == proc.pid:
                seen[pid] = max(seen.get(pid, 0), ticks)
                kinds.setdefault(pid, _kind(pid))
        time.sleep(0.1)
    wall = time.monotonic() - t0
    cpu: dict[str, float] = collections.Counter()
    for pid, ticks in seen.items():
        cpu[kinds[pid]] += ticks / TICK
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    executions = sum(1 for x in lines if not x.get("shared_from"))
    return {"wall": wall, **cpu, "cases": len(lines), "executions": executions}


def main(runs: int = 1) -> None:
    figures = []
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        for i in range(runs):
            f = one_run(Path(tmp) / f"run-{i}")
            figures.append(f)
            cpu = sum(f.get(k, 0.0) for k in ("python", "node", "chromium"))
            print(
                f"run {i + 1}: wall {f['wall']:.1f}s  CPU {cpu:.1f}s (python {f.get('python', 0):.1f}, "
                f"node {f.get('node', 0):.1f}, chromium {f.get('chromium', 0):.1f})  "
                f"{int(f['cases'])} cases from {int(f['executions'])} executions"
            )
    if runs > 1:
        total = [sum(f.get(k, 0.0) for k in ("python", "node", "chromium")) for f in figures]
        print(f"median: wall {statistics.median(f['wall'] for f in figures):.1f}s  CPU {statistics.median(total):.1f}s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
