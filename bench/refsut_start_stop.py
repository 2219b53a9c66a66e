"""Start/stop cost of the reference SUT (run on demand: python bench/refsut_start_stop.py [N])."""

from __future__ import annotations

import statistics
import sys
import threading
import time

from homolog.fixtures.refsut import start_sut


def main(rounds: int = 10) -> None:
    """Print median and max start and stop times over ``rounds`` SUTs."""
    starts, stops = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        sut = start_sut()
        starts.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        sut.stop()
        stops.append(time.perf_counter() - t0)
    print(f"rounds: {rounds}")
    print(f"start: median {statistics.median(starts):.3f}s  max {max(starts):.3f}s")
    print(f"stop:  median {statistics.median(stops):.3f}s  max {max(stops):.3f}s")
    print(f"threads left: {threading.active_count() - 1}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
