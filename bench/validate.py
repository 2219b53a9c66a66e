"""Benchmark: homolog's FHIR validation vs a plain R4 parse of the same resources, one process.

    python bench/validate.py [PACKAGE] [--rounds N] [--fhirpathpy]

Validates the examples shipped in FR Core (each against its declared profiles, with the
base R4 rules of hl7.fhir.r4.core on) `rounds` times from their JSON text, as a check
gets them from a server, and parses the same texts with fhirkit (the base R4 model
library); prints resources per second for both side by side and the ratio, in one run.
`--fhirpathpy` turns the compiled FHIRPath subset off (every invariant through
fhirpathpy), to show what it saves. Then where one validation's time goes,
in CPU µs per resource: fhirkit's base R4 pass, `json.loads`, the narrative (its parse and
txt-1/txt-2), each timed alone on the same resources, and the rest, the walk of the
definitions. Also prints the validator's precision and recall on
the mutation corpora (homolog.suites.fhir.selftest). Warm figures: the plans and the
FHIRPath expressions are compiled on a first pass outside the timing. Rates are given in
wall time and in CPU time of this process (one core; steadier on a busy machine).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import fhirkit

from homolog.suites.fhir.packages import load_conformance
from homolog.suites.fhir.selftest import generated_mutations, measure
from homolog.suites.fhir.validator import Validator, special

_NARRATIVE = "http://hl7.org/fhir/StructureDefinition/Narrative"


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("package", nargs="?", default="hl7.fhir.fr.core#2.2.0", help="id#version, .tgz or folder")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--fhirpathpy", action="store_true", help="evaluate every invariant with fhirpathpy")
    args = ap.parse_args()

    t0 = time.perf_counter()
    conf = load_conformance([args.package])
    load_s = time.perf_counter() - t0
    resources = [r for r in conf.examples().values() if (r.get("meta") or {}).get("profile")]
    texts = [json.dumps(r) for r in resources]
    n = len(resources) * args.rounds

    validator = Validator(conf)
    validator.invariants.use_fast = not args.fhirpathpy
    t0 = time.perf_counter()
    for text in texts:
        validator.validate_text(text)  # compile plans and FHIRPath once, outside the timing
    first_s = time.perf_counter() - t0

    t0, c0 = time.perf_counter(), time.process_time()
    errors = 0
    for _ in range(args.rounds):
        for text in texts:
            errors += sum(1 for i in validator.validate_text(text) if i.is_error)
    validate_s, validate_cpu = time.perf_counter() - t0, time.process_time() - c0

    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(args.rounds):
        for text in texts:
            fhirkit.parse(text)
    parse_s, parse_cpu = time.perf_counter() - t0, time.process_time() - c0

    v_rate, p_rate = n / validate_s, n / parse_s
    print(f"packages                {', '.join(p.key for p in conf.packages)} ({load_s * 1000:.0f} ms to load)")
    print(f"first pass (compile)    {first_s * 1000:8.1f} ms for {len(texts)} resources")
    print(f"resources               {len(resources)} FR Core examples x {args.rounds} rounds = {n}")
    fhirpath = "fhirpathpy only" if args.fhirpathpy else "compiled subset + fhirpathpy"
    print(f"homolog validate        {v_rate:10.1f} resources/s  ({errors} errors; FHIRPath: {fhirpath})")
    print(f"fhirkit parse (R4 only) {p_rate:10.1f} resources/s")
    print(f"ratio parse/validate    {p_rate / v_rate:10.1f}x")
    # CPU time: what one core spends, steadier than wall time on a shared machine.
    print(
        f"per core (CPU time)     validate {n / validate_cpu:8.1f}/s, parse {n / parse_cpu:8.1f}/s, "
        f"ratio {validate_cpu / parse_cpu:.1f}x"
    )
    _stages(validator, texts, resources, args.rounds, validate_cpu / n)
    score = measure(validator, conf)
    print(
        f"mutation corpus         {len(score.outcomes)} mutants: recall {score.recall:.3f}, "
        f"precision {score.precision:.3f}"
    )
    gen = measure(validator, conf, generated_mutations(validator, conf))
    print(
        f"generated corpus        {len(gen.outcomes)} mutants: recall {gen.recall:.3f}, precision {gen.precision:.3f}"
    )


def _stages(validator: Validator, texts: list[str], resources: list[Any], rounds: int, per_resource: float) -> None:
    """Where one validation's time goes: each fixed step timed alone on the same resources
    (CPU time, µs per resource), the walk of the definitions being what is left."""
    divs = [
        r["text"]["div"] for r in resources if isinstance(r.get("text"), dict) and isinstance(r["text"].get("div"), str)
    ]
    txt = {
        c["key"]: c
        for e in (validator.conformance.structure_definition(_NARRATIVE) or {}).get("snapshot", {}).get("element", [])
        for c in e.get("constraint") or []
        if c.get("key") in ("txt-1", "txt-2")
    }

    def cpu_per_resource(step: Callable[[], object]) -> float:
        c0 = time.process_time()
        for _ in range(rounds):
            step()
        return (time.process_time() - c0) / (rounds * len(texts)) * 1e6

    base = cpu_per_resource(lambda: [fhirkit.validate(t) for t in texts])
    loads = cpu_per_resource(lambda: [json.loads(t) for t in texts])
    parsed = [special.parse_div(d) for d in divs]
    narrative = cpu_per_resource(lambda: [special.parse_div(d) for d in divs])
    narrative += cpu_per_resource(lambda: [special.html_problem(k, txt[k], p) for p in parsed for k in sorted(txt)])
    total = per_resource * 1e6
    rest = total - base - loads - narrative
    print(
        f"per resource (CPU µs)   {total:.0f}: fhirkit's base R4 pass {base:.0f}, json.loads {loads:.0f}, "
        f"narrative (parse, txt-1, txt-2) {narrative:.0f}, the walk of the definitions {rest:.0f}"
    )


if __name__ == "__main__":
    main()
