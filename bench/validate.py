"""Benchmark: FR Core profile validation vs a plain R4 parse of the same resources.

    python bench/validate.py [path/to/hl7.fhir.fr.core-2.2.0.tgz] [--rounds N]

Validates the examples shipped in FR Core (each against its declared profile) `rounds`
times and parses the same resources with fhirkit (the base R4 model library), then
prints resources per second for both and the ratio. Also prints the validator's
precision and recall on the mutation corpus (homolog.suites.fhir.selftest).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import fhirkit

from homolog.suites.fhir.packages import load_conformance
from homolog.suites.fhir.selftest import generated_mutations, measure
from homolog.suites.fhir.validator import Validator

DEFAULT_TGZ = Path(__file__).resolve().parents[2] / "shared" / "data" / "fhir" / "hl7.fhir.fr.core-2.2.0.tgz"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("package", nargs="?", default=str(DEFAULT_TGZ))
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()

    t0 = time.perf_counter()
    conf = load_conformance([args.package])
    load_s = time.perf_counter() - t0
    resources = [r for r in conf.examples().values() if (r.get("meta") or {}).get("profile")]
    texts = [json.dumps(r) for r in resources]
    n = len(resources) * args.rounds

    validator = Validator(conf)
    validator.validate(resources[0])  # compile snapshots and FHIRPath once, outside the timing
    t0 = time.perf_counter()
    errors = 0
    for _ in range(args.rounds):
        for text in texts:
            # From JSON text, as a check gets it from the SUT: parse + base R4 + profile.
            errors += sum(1 for i in validator.validate(json.loads(text)) if i.is_error)
    validate_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    for _ in range(args.rounds):
        for text in texts:
            fhirkit.parse(text)
    parse_s = time.perf_counter() - t0

    v_rate, p_rate = n / validate_s, n / parse_s
    print(f"package load            {load_s * 1000:8.1f} ms")
    print(f"resources               {len(resources)} FR Core examples x {args.rounds} rounds = {n}")
    print(f"FR Core validation      {v_rate:10.1f} resources/s  ({errors} errors)")
    print(f"fhirkit parse (R4 only) {p_rate:10.1f} resources/s")
    print(f"ratio parse/validate    {p_rate / v_rate:10.1f}x")
    score = measure(validator, conf)
    print(
        f"mutation corpus         {len(score.outcomes)} mutants: recall {score.recall:.3f}, "
        f"precision {score.precision:.3f}"
    )
    gen = measure(validator, conf, generated_mutations(validator, conf))
    print(
        f"generated corpus        {len(gen.outcomes)} mutants: recall {gen.recall:.3f}, precision {gen.precision:.3f}"
    )


if __name__ == "__main__":
    main()
