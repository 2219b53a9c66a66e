"""Identity suite figures: NIR checks per second and the robustness check's request rate.

Run on demand (not a test): `.venv/bin/python bench/identity.py [--examples 200]`

- nir: `check_nir` on valid and wrong-key numbers (pure Python, no I/O);
- strategies: identities drawn per second by `malformed_identities` (hypothesis);
- robustness: one `identity.robustness.malformed` run against a clean reference SUT
  started in this process (SUT threads share the GIL with the harness), as wall time
  and requests per second.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path


def bench_nir(seconds: float) -> float:
    from homolog.suites.identity.nir import check_nir, with_key

    values = [with_key(f"2790351{c:03d}{o:03d}") for c in range(1, 30) for o in range(1, 30)]
    values += [v[:13] + f"{int(v[13:]) % 97 + 1:02d}" for v in values]
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for v in values:
            check_nir(v)
        n += len(values)
    return n / (time.perf_counter() - start)


def bench_strategies(count: int) -> float:
    from hypothesis import HealthCheck, given, seed, settings

    from homolog.suites.identity.strategies import malformed_identities

    drawn = [0]

    @seed(1)
    @settings(max_examples=count, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(malformed_identities())
    def draw(identity: dict[str, object]) -> None:
        drawn[0] += 1

    start = time.perf_counter()
    draw()
    return drawn[0] / (time.perf_counter() - start)


def bench_robustness(examples: int) -> tuple[float, int]:
    from homolog.fixtures.refsut import start_sut
    from homolog.testing import run_check

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with start_sut(workdir=work / "sut") as sut:
            os.environ.update(sut.env)
            start = time.perf_counter()
            res = run_check(
                "identity.robustness.malformed",
                sut.target_path,
                tmp_path=work,
                params={"examples": examples, "seed": 1},
            )
            elapsed = time.perf_counter() - start
            summary = next(p for p in res.evidence if p.name.endswith("robustness-summary.json"))
            sent = int(json.loads(summary.read_text(encoding="utf-8"))["sent"])
    return elapsed, sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    # Robustness first: pytest must load hypothesis' plugin before any strategy is built.
    elapsed, sent = bench_robustness(args.examples)
    print(f"robustness: {sent} requests in {elapsed:.1f} s ({sent / elapsed:.0f} req/s, pytest start-up included)")
    print(f"nir: {bench_nir(args.seconds):,.0f} check_nir/s")
    print(f"strategies: {bench_strategies(500):,.0f} malformed identities drawn/s")


if __name__ == "__main__":
    main()
