"""Two sets of demo runs compared: verdicts and messages, and where the checks' time goes.

    .venv/bin/python bench/demo_compare.py OLD_RUN... -- NEW_RUN... [--top N]

Each RUN is the folder of a `homolog demo --out RUN --report ""` (or any run). Every case
(requirement, check, parameters) must have one verdict and one message in all runs, with
`127.0.0.1:PORT` and `localhost:PORT` masked (each demo starts its systems on free ports);
cases that differ are printed and the exit status is 1. Then, per check, the sum of its
executions' `duration` (result lines without `shared_from`: a shared result costs nothing
again) in each run and the median of each side, the `top` checks by the old side's median
(default 20), and each run's sum.

Run the two sides alternated (old, new, old, new...) on a machine as idle as can be: the
medians still carry the load of the moment, the verdicts must not.
"""

from __future__ import annotations

import collections
import json
import re
import statistics
import sys
from pathlib import Path

_PORT = re.compile(r"\b(127\.0\.0\.1|localhost):\d+")

Case = tuple[str, str, str]


def outcomes(run: Path) -> dict[Case, tuple[str, str]]:
    """(requirement, check, parameters as JSON) -> (verdict, message with ports masked)."""
    found: dict[Case, tuple[str, str]] = {}
    with (run / "results.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            case = (record["requirement"], record["check"], json.dumps(record.get("params") or {}, sort_keys=True))
            found[case] = (record["verdict"], _PORT.sub(r"\1:PORT", record.get("message") or ""))
    return found


def durations(run: Path) -> dict[str, float]:
    """Check id -> sum of its executions' durations in seconds (shared results left out)."""
    total: dict[str, float] = collections.defaultdict(float)
    with (run / "results.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if "shared_from" not in record:
                total[record["check"]] += float(record.get("duration") or 0)
    return dict(total)


def main(argv: list[str]) -> int:
    """Print the comparison; 1 when a case differs between runs, 2 on bad arguments."""
    top = 20
    if "--top" in argv:
        at = argv.index("--top")
        top = int(argv[at + 1])
        argv = argv[:at] + argv[at + 2 :]
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    cut = argv.index("--")
    old, new = [Path(a) for a in argv[:cut]], [Path(a) for a in argv[cut + 1 :]]
    if not old or not new:
        print(__doc__, file=sys.stderr)
        return 2
    runs = old + new
    seen = [outcomes(r) for r in runs]
    differing = 0
    for case in sorted(set().union(*seen)):
        values = [s.get(case) for s in seen]
        if len(set(values)) > 1:
            differing += 1
            print("differs:", case)
            for run, value in zip(runs, values, strict=True):
                print(f"    {run}: {value}")
    print(f"{len(set().union(*seen))} cases, {differing} differing, over {len(old)} old and {len(new)} new runs")
    spent = [durations(r) for r in runs]
    old_spent, new_spent = spent[: len(old)], spent[len(old) :]

    def median(side: list[dict[str, float]], check: str) -> float:
        return statistics.median(s.get(check, 0.0) for s in side)

    checks = sorted(set().union(*spent), key=lambda c: -median(old_spent, c))
    print(f"{'check':45} {'old runs':>{8 * len(old)}} {'median':>7} | {'new runs':>{8 * len(new)}} {'median':>7}")
    for check in checks[:top]:
        cells = [" ".join(f"{s.get(check, 0.0):7.2f}" for s in side) for side in (old_spent, new_spent)]
        print(f"{check:45} {cells[0]} {median(old_spent, check):7.2f} | {cells[1]} {median(new_spent, check):7.2f}")
    for name, side in (("old", old_spent), ("new", new_spent)):
        sums = [sum(s.values()) for s in side]
        print(f"{name}: executions in sum {[round(x, 1) for x in sums]} s, median {statistics.median(sums):.1f} s")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
