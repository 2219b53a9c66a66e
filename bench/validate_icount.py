"""Benchmark: machine instructions per FR Core validation, counted by valgrind (callgrind).

    python bench/validate_icount.py [--rounds N] [--against PYTHON]

Where the host's noise swamps a change of a few percent (timings of the same code on a
shared machine move by 10 to 20 % from one minute to the next), the number of
instructions one validation executes does not: it is the same at every run of the same
code (hash seed fixed). Counts the instructions of `rounds` validations of the FR Core
examples from their JSON text (as `bench/validate.py` validates them, after a first pass
that compiles the plans), nothing of the start-up, and prints millions per validation.
`--against PYTHON`: the same count with another checkout's interpreter (its own venv), and
the difference. Needs valgrind; an instruction is not a unit of time (native code, fhirkit's
and lxml's, runs more of them per cycle than the interpreter), so timings stay the figure
of record, this the way to tell which way a small change goes.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile


def _inner(rounds: int) -> None:
    import json
    import operator

    from homolog.suites.fhir.packages import load_conformance
    from homolog.suites.fhir.validator import Validator

    conf = load_conformance(["hl7.fhir.fr.core#2.2.0"])
    texts = [json.dumps(r) for r in conf.examples().values() if (r.get("meta") or {}).get("profile")]
    validator = Validator(conf)
    for text in texts:
        validator.validate_text(text)  # plans and FHIRPath compiled outside the count

    def loop() -> None:
        for _ in range(rounds):
            for text in texts:
                validator.validate_text(text)

    # callgrind counts only inside this C function (`--toggle-collect`): the loop, nothing else.
    operator.call(loop)
    print(f"validations {rounds * len(texts)}")


def _count(python: str, rounds: int) -> tuple[int, int]:
    """(instructions, validations) of `rounds` rounds under `python`."""
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--collect-atstart=no",
                "--toggle-collect=_operator_call",
                "--trace-children=yes",  # (an interpreter given as a wrapper script)
                f"--callgrind-out-file={tmp}/callgrind.out",
                python,
                os.path.abspath(__file__),
                "--inner",
                "--rounds",
                str(rounds),
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
            check=False,
        )
    collected = re.search(r"Collected\s*:\s*(\d+)", proc.stderr)
    validations = re.search(r"validations (\d+)", proc.stdout)
    if proc.returncode != 0 or collected is None or validations is None:
        raise SystemExit(f"{python}: the count failed (exit {proc.returncode}): {proc.stderr[-1500:]}")
    return int(collected.group(1)), int(validations.group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--against", metavar="PYTHON", help="another checkout's interpreter, counted the same way")
    ap.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inner:
        _inner(args.rounds)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt install valgrind): nothing was counted")
    sides = [("this checkout", sys.executable)] + ([("--against", args.against)] if args.against else [])
    counts = {}
    with concurrent.futures.ThreadPoolExecutor(len(sides)) as pool:  # (one valgrind per core)
        results = list(pool.map(lambda side: _count(side[1], args.rounds), sides))
    for (label, python), (instructions, validations) in zip(sides, results, strict=True):
        counts[label] = instructions / validations
        per = counts[label] / 1e6
        print(f"{label:14} {python}: {per:.3f} M instructions per validation ({validations} validations)")
    if args.against:
        mine, theirs = counts["this checkout"], counts["--against"]
        print(f"difference     {(mine - theirs) / theirs * 100:+.2f} % (this checkout against the other)")


if __name__ == "__main__":
    main()
