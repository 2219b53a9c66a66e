"""CPU of one demo run, by process kind: the figure the defect matrix pays for each of its runs.

    .venv/bin/python bench/demo_cpu.py [RUNS] [--defects D,...] [--chromium PATH]

Runs `homolog demo -n 0 --report ""` (the built-in referential in one process, as the matrix
runs it, against a demo system started for it) RUNS times (default 1) and prints, per run, its
wall time and the CPU time of its process tree split into the harness and SUT (python), the
Playwright driver (node) and Chromium, Chromium's own share split by process type (the browser
process, its renderers, the GPU process that composites even with `--disable-gpu`, the network
and other utility processes, the zygote), plus how many cases the run recorded and how many
executions made them (one execution per check and parameters), and their verdicts.

`--defects`: the run has those defect switches on and records no Playwright trace, as the
matrix's defect runs do (most of its runs); without it, a clean run with traces, as its clean
runs and `homolog demo` do. `--chromium`: another Chromium binary or a wrapper script (a
process counts as Chromium by its executable, not by its arguments).

The tree is sampled from /proc every 100 ms; a process's CPU is the last value seen, so
processes that live less than that are missed (a few tens of milliseconds at most).
Compare two commits by running it in a checkout of each, on an idle machine.
"""

from __future__ import annotations

import argparse
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
KINDS = ("python", "node", "chromium")


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


def _kind(pid: int) -> tuple[str, str] | None:
    """(kind, Chromium process type) of a process, from its command line; None once it is gone.

    The kind comes from the executable alone (a harness given `--chromium PATH` is python);
    Chromium's children re-exec as `/proc/self/exe` or are forked from its zygote, and say
    their type in `--type=` (the browser process has none).
    """
    try:
        # Chromium's children rewrite theirs as one string, arguments separated by spaces
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").split()
    except OSError:
        return None
    if not argv:
        return None
    exe = argv[0]
    types = [a[7:].decode() for a in argv if a.startswith(b"--type=")]
    if b"chrom" in exe or exe == b"/proc/self/exe" or types:
        return "chromium", types[0] if types else "browser"
    return ("node" if exe.endswith(b"node") else "python"), ""


def one_run(out: Path, defects: str = "", chromium: str | None = None) -> dict[str, float]:
    # one process, as the defect matrix runs each demo (`homolog demo` alone uses two where it can)
    command = [sys.executable, "-m", "homolog.cli", "demo", "-n", "0", "--out", str(out), "--report", ""]
    if chromium:
        command += ["--chromium", chromium]
    if defects:
        command += ["--defects", defects, "--", "--homolog-setting", "ui.trace=false"]
    t0 = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    seen: dict[int, int] = {}
    kinds: dict[int, tuple[str, str]] = {}
    while proc.poll() is None:
        table = _table()
        for pid, (_, ticks) in table.items():
            walk = pid
            while walk > 1 and walk != proc.pid:
                walk = table.get(walk, (0, 0))[0]
            if walk == proc.pid:
                seen[pid] = max(seen.get(pid, 0), ticks)
                # read again while it lives: a zygote's child takes its type after the fork
                kinds[pid] = _kind(pid) or kinds.get(pid) or ("python", "")
        time.sleep(0.1)
    wall = time.monotonic() - t0
    cpu: dict[str, float] = collections.defaultdict(float)
    for pid, ticks in seen.items():
        kind, ptype = kinds[pid]
        cpu[kind] += ticks / TICK
        if kind == "chromium":
            cpu[f"chromium {ptype}"] += ticks / TICK
            cpu[f"chromium {ptype} processes"] += 1
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    executions = sum(1 for x in lines if not x.get("shared_from"))
    verdicts = collections.Counter(x["verdict"] for x in lines)
    return {"wall": wall, **cpu, "cases": len(lines), "executions": executions, **verdicts}


def _chromium_split(f: dict[str, float]) -> str:
    types = sorted(
        (k.split(" ", 1)[1] for k in f if k.startswith("chromium ") and not k.endswith(" processes")),
        key=lambda t: -f[f"chromium {t}"],
    )
    return ", ".join(f"{t} {f[f'chromium {t}']:.1f} ({int(f[f'chromium {t} processes'])})" for t in types)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("runs", nargs="?", type=int, default=1)
    ap.add_argument("--defects", default="", help="defect switches, comma-separated (runs without traces)")
    ap.add_argument("--chromium", help="the Chromium binary (or a wrapper script) to launch")
    args = ap.parse_args()
    figures = []
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        for i in range(args.runs):
            f = one_run(Path(tmp) / f"run-{i}", args.defects, args.chromium)
            figures.append(f)
            cpu = sum(f.get(k, 0.0) for k in KINDS)
            verdicts = ", ".join(f"{int(f[v])} {v}" for v in ("passed", "failed", "error", "skipped") if f.get(v))
            print(
                f"run {i + 1}: wall {f['wall']:.1f}s  CPU {cpu:.1f}s (python {f.get('python', 0):.1f}, "
                f"node {f.get('node', 0):.1f}, chromium {f.get('chromium', 0):.1f})  "
                f"{int(f['cases'])} cases from {int(f['executions'])} executions: {verdicts}\n"
                f"       chromium by process type, CPU-s (processes): {_chromium_split(f)}",
                flush=True,
            )
    if args.runs > 1:
        total = [sum(f.get(k, 0.0) for k in KINDS) for f in figures]
        print(f"median: wall {statistics.median(f['wall'] for f in figures):.1f}s  CPU {statistics.median(total):.1f}s")


if __name__ == "__main__":
    main()
