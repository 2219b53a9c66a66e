"""Verdicts under load: the harness's own tests with busy processes beside them.

    python bench/under_load.py [--busy 5] [--rounds 1] [PYTEST_ARGUMENT ...]

A check whose verdict depends on the machine's speed is a defect as serious as a false pass,
and a fast idle machine hides it: a CI run on a slower one failed the defect matrix because
`security.auth.session_timeout` took a request stalled past the demo system's timer for a
session ended too early (4 December 2026). This runs pytest (by default the defect matrix,
`tests/runner/test_demo_defects.py`; any pytest arguments instead) with ``--busy``
processes spinning at the same priority, so every request, page and simulator of the tests
gets a fraction of a core, as on a slower or shared machine, and prints for each round the
wall time, pytest's CPU time, the load average and pytest's summary line. The exit status is
pytest's (the last failing round's), so a flip shows as a failure to read in its output.

Measured on 2 cores on 4 December 2026: the matrix with 5 busy processes, 88 passed in
1,338 s (13 minutes when the machine is idle); the whole suite with 2, 2,172 passed in 1,490 s.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MATRIX = "tests/runner/test_demo_defects.py"
_SPIN = "while True:\n    pass\n"


@contextlib.contextmanager
def busy(count: int) -> Iterator[None]:
    """``count`` processes that keep a core each busy until the block ends."""
    spinners = [subprocess.Popen([sys.executable, "-c", _SPIN]) for _ in range(count)]
    try:
        yield
    finally:
        for proc in spinners:
            proc.kill()
        for proc in spinners:
            proc.wait()


def one_round(pytest_args: list[str]) -> tuple[int, float, float, str]:
    """Run pytest once: its exit status, wall and CPU seconds, and its last line."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-rfE", *pytest_args], cwd=ROOT, capture_output=True, text=True
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0:
        sys.stdout.write("\n".join([*lines[-60:], *proc.stderr.splitlines()[-20:]]) + "\n")
    return proc.returncode, wall, cpu, lines[-1] if lines else "(pytest wrote nothing)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--busy", type=int, default=5, help="processes spinning beside the tests (default 5)")
    parser.add_argument("--rounds", type=int, default=1, help="how many times the tests run (default 1)")
    args, pytest_args = parser.parse_known_args(argv)
    pytest_args = pytest_args or [MATRIX]
    print(f"{os.cpu_count()} cores; {args.busy} busy processes beside: pytest {' '.join(pytest_args)}", flush=True)
    status = 0
    with busy(args.busy):
        for n in range(1, args.rounds + 1):
            code, wall, cpu, summary = one_round(pytest_args)
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            print(f"round {n}: wall {wall:.0f} s, pytest CPU {cpu:.0f} s, load {load}: {summary}", flush=True)
            status = code or status
    return status


if __name__ == "__main__":
    sys.exit(main())
