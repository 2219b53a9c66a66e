"""Switching defects on a running demo SUT vs starting a new one (what the defect matrix pays per run).

    .venv/bin/python bench/refsut_switch.py [ROUNDS]

- fresh: the PSC simulator and the reference SUT started with the defect (as `homolog demo`
  wires them), then stopped;
- switch: `POST /reset` on the control endpoint of one long-lived SUT plus `POST /reset` on
  the control API of each of its counterparts (the simulators `homolog demo` starts: PSC, MSSanté,
  INSi, DMP, the patient IdP, e-prescription), as a run on a reused system would need (state
  rebuilt: users, documents, TLS context, applications; the simulators' records forgotten).

Both sides alternate, one defect per round (cycling through DEFECTS); medians are printed
with their ratio.
"""

from __future__ import annotations

import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from homolog.demo import started_demo_sut
from homolog.fixtures.refsut import DEFECTS


def main(rounds: int = 20) -> None:
    fresh: list[float] = []
    switch: list[float] = []
    defects = itertools.cycle(sorted(DEFECTS))
    with (
        tempfile.TemporaryDirectory(prefix="bench-switch-") as tmp,
        started_demo_sut(set(), Path(tmp) / "long") as demo,
    ):
        control = demo.sut.start_control()
        counterparts = sorted(demo.counterparts.items())
        for i in range(rounds):
            defect = next(defects)
            t0 = time.perf_counter()
            with started_demo_sut({defect}, Path(tmp) / f"fresh-{i}"):
                pass
            fresh.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            control.reset([defect])
            for name, counterpart in counterparts:
                answer = httpx.post(f"{counterpart.control_url}/reset", json={}, timeout=10, trust_env=False)
                if answer.status_code != 200:
                    sys.exit(f"the {name} counterpart refused its reset: {answer.status_code} {answer.text[:200]}")
            switch.append(time.perf_counter() - t0)
    f, s = statistics.median(fresh), statistics.median(switch)
    print(
        f"rounds: {rounds} (one defect each, alternated); counterparts reset: {', '.join(n for n, _ in counterparts)}"
    )
    print(f"fresh start+stop: median {f:.3f}s  max {max(fresh):.3f}s")
    print(f"switch (reset):   median {s:.3f}s  max {max(switch):.3f}s")
    print(f"ratio fresh/switch: {f / s:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
