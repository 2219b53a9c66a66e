"""CDA validation throughput: documents per second, warm and in a cold process.

Run on demand (not a test):
`.venv/bin/python bench/cda.py [--cda-dir ../shared/data/cda] [--seconds 5] [--processes 3]
[--corpus bench|ans] [--no-steps] [--batch N] [--jobs N]`

- warm: one validator in this process, every volet already compiled; the documents are
  validated in a loop for ``--seconds``, as `homolog run` does after its first document
  of each volet;
- cold: ``--processes`` fresh Python processes, each with an empty schematron disk cache
  (then as many with the disk cache their predecessor filled, as a second run on the same
  machine). Each validates the documents in order, then once more: the first document of
  each volet (of each volet version: each has its schematron) pays that schematron's
  compilation, the very first also the XSD; every later document should cost what it
  costs warm. Printed: the first-document cost per schematron, and the cold cost per
  document after the first next to the warm cost of the same documents.

Documents (``--corpus bench``, the default, as in issue 18's figures): the reference
SUT's generated VSM and LDL-SES, and the ANS LDL-SES and CR-BIO 2024 examples.
``--corpus ans``: every ANS example whose volet is detected and that validates.
Wall-clock rates are what a user sees; CPU rates (the validating thread's time) and the
rate from each document's best time are printed beside them because this machine's two
cores are shared with other work.

Then (unless ``--no-steps``) where the warm time goes: the steps of
``DocumentValidator.validate``, each timed (thread CPU) over another ``--seconds`` of the
same documents, and the rate the Saxon steps alone would allow (the parse of the document
for Saxon and the schematron's XSLT: no other step or library can do them), then with the
lxml parse and XSD validation every document also needs (Saxon-HE has no XSD validation).

Last (unless ``--batch 0``), the rate of `homolog validate cda` over files (`validate_files`)
in one process and in ``--jobs`` processes (default: one per usable core), side by side.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PATIENT = {
    "id": "p1",
    "ins": "279035121518989",
    "ins_oid": "1.2.250.1.213.1.4.10",
    "status": "QUAL",
    "birth_name": "DURAND",
    "birth_given_names": ["CLAIRE"],
    "used_name": None,
    "sex": "F",
    "birth_date": "1979-03-28",
    "birth_place_insee": "51215",
}
AUTHOR = {"idnatps": "810000000001", "family": "MEDECIN", "given": "Alice", "profession_code": "10"}
CUSTODIAN = {"idnatst": "1750000002", "name": "Hôpital de démonstration"}
BENCH_EXAMPLES = ("LDL-SES_2022.01.xml", "BIO-CR-BIO_2024.01_Electrophorese.xml", "BIO-CR-BIO_2024.01_TSH_1.xml")


def documents(cda_dir: Path, corpus: str) -> list[tuple[str, bytes]]:
    """(name, bytes) of the documents to validate, in a fixed order."""
    from homolog.fixtures.refsut.cda import build_document

    if corpus == "ans":
        return [(p.name, p.read_bytes()) for p in sorted((cda_dir / "ExemplesCDA").glob("*.xml"))]
    when = datetime(2026, 11, 2, tzinfo=UTC)
    docs = [
        (f"refsut-{k}", build_document(k, patient=PATIENT, author=AUTHOR, custodian=CUSTODIAN, effective_time=when))
        for k in ("VSM", "LDL-SES")
    ]
    docs += [(name, (cda_dir / "ExemplesCDA" / name).read_bytes()) for name in BENCH_EXAMPLES]
    return docs


def usable(validator: Any, docs: list[tuple[str, bytes]], corpus: str) -> list[tuple[str, bytes]]:
    """The documents that validate (all of them for the bench corpus, or the bench stops)."""
    from homolog.suites.documents.schematron import SchematronError
    from homolog.suites.documents.validator import DocumentError

    kept = []
    for name, data in docs:
        try:
            report = validator.validate(data)
        except (DocumentError, SchematronError) as exc:
            if corpus == "bench":
                raise SystemExit(f"{name}: cannot validate: {exc}") from exc
            continue
        if report.valid and report.volet is not None:
            kept.append((name, data))
        elif corpus == "bench":
            raise SystemExit(f"{name} unexpectedly invalid: {report.errors[:2]}")
    return kept


def timed(validate: Callable[[bytes], Any], data: bytes) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.thread_time()
    validate(data)
    return time.perf_counter() - wall, time.thread_time() - cpu


def child(args: argparse.Namespace) -> None:
    """One cold process: print, as JSON, per-document times of two passes."""
    started = time.perf_counter()
    from homolog.suites.documents.material import AnsMaterial
    from homolog.suites.documents.validator import DocumentValidator, parse_document
    from homolog.suites.documents.volets import detect_volet

    imported = time.perf_counter() - started
    names = json.loads(args.child)
    docs = [(n, d) for n, d in documents(args.cda_dir, "ans" if args.corpus == "ans" else "bench") if n in names]
    validator = DocumentValidator(AnsMaterial.from_root(args.cda_dir), cache_dir=args.cache)
    seen: set[str] = set()
    rows = []
    for round_ in (1, 2):
        for name, data in docs:
            volet = detect_volet(parse_document(data).getroot())
            # What a process compiles is a schematron: a volet's versions each have theirs.
            key = validator.resolve_schematron(volet).stem if volet else "?"
            wall, cpu = timed(validator.validate, data)
            rows.append(
                {"doc": name, "volet": key, "first": key not in seen, "round": round_, "wall": wall, "cpu": cpu}
            )
            seen.add(key)
    print(json.dumps({"import": imported, "rows": rows}))


def warm(docs: list[tuple[str, bytes]], validator: Any, seconds: float) -> dict[str, tuple[float, float, float]]:
    """Per document: mean wall, mean CPU and best wall seconds, warm, over ``seconds``."""
    for _name, data in docs:
        validator.validate(data)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in docs}
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for name, data in docs:
            times[name].append(timed(validator.validate, data))
    return {
        name: (
            statistics.fmean(w for w, _ in runs),
            statistics.fmean(c for _, c in runs),
            min(w for w, _ in runs),
        )
        for name, runs in times.items()
    }


# The steps of DocumentValidator.validate, in its order (the volet's detection and the
# schematron's look-up, a few microseconds, are left in "the rest").
STEPS = ("lxml parse", "XSD", "Saxon parse", "schematron XSLT", "SVRL reading")


def steps(docs: list[tuple[str, bytes]], validator: Any, seconds: float) -> tuple[dict[str, float], int]:
    """Thread CPU seconds spent in each step of ``validator.validate`` over ``seconds`` of
    warm validation (the same calls, in the same order, as it makes them), and the number
    of documents validated."""
    from homolog.suites.documents.schematron import parse_for_saxon
    from homolog.suites.documents.svrl import parse_svrl
    from homolog.suites.documents.validator import _line, _source_for_saxon, parse_document
    from homolog.suites.documents.volets import detect_volet

    spent = dict.fromkeys(STEPS, 0.0)
    count = 0
    clock = time.thread_time
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _name, data in docs:
            t0 = clock()
            tree = parse_document(data)
            t1 = clock()
            validator.xsd_issues(tree)
            t2 = clock()
            root = tree.getroot()
            compiled = validator.compiled(validator.resolve_schematron(detect_volet(root)))
            t3 = clock()
            node = parse_for_saxon(_source_for_saxon(data, tree))
            t4 = clock()
            svrl = compiled.run(node)
            t5 = clock()
            parse_svrl(svrl, line_of=functools.partial(_line, root))
            t6 = clock()
            for step, took in zip(STEPS, (t1 - t0, t2 - t1, t4 - t3, t5 - t4, t6 - t5), strict=True):
                spent[step] += took
            count += 1
    return spent, count


def print_steps(spent: dict[str, float], count: int, whole_cpu: float) -> None:
    """Print each step's CPU per document next to ``whole_cpu`` (the warm loop's CPU per
    document), and the rates the Saxon steps alone, then with lxml's, would allow."""
    per_doc = {step: took / count for step, took in spent.items()}
    parts = [
        f"{step} {took * 1e3:.2f} ms ({took / whole_cpu:.0%})"
        for step, took in sorted(per_doc.items(), key=lambda item: -item[1])
    ]
    rest = whole_cpu - sum(per_doc.values())
    print(
        f"warm CPU per document by step ({count} documents): {', '.join(parts)},"
        f" the rest {rest * 1e3:.2f} ms ({rest / whole_cpu:.0%}) of {whole_cpu * 1e3:.2f} ms"
    )
    saxon = per_doc["Saxon parse"] + per_doc["schematron XSLT"]
    needed = saxon + per_doc["lxml parse"] + per_doc["XSD"]
    print(
        f"ceiling: the Saxon steps alone {1 / saxon:7.1f} documents/s CPU;"
        f" with the lxml parse and XSD {1 / needed:7.1f} documents/s CPU"
    )


def run_children(args: argparse.Namespace, names: list[str], cache: Path) -> list[dict[str, Any]]:
    out = []
    for _ in range(args.processes):
        cmd = [sys.executable, __file__, "--child", json.dumps(names), "--cache", str(cache)]
        cmd += ["--cda-dir", str(args.cda_dir), "--corpus", args.corpus]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"cold process failed:\n{proc.stderr}")
        out.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return out


def summarise(label: str, runs: list[dict[str, Any]], per_doc: dict[str, tuple[float, float, float]]) -> float:
    """Print a cold-process summary; return the after-first/warm ratio (CPU)."""
    firsts: dict[str, list[float]] = {}
    for run in runs:
        for row in run["rows"]:
            if row["first"]:
                firsts.setdefault(row["volet"], []).append(row["wall"])
    first = {v: statistics.median(t) for v, t in firsts.items()}
    if len(first) <= 6:
        first_text = ", ".join(f"{v} {t * 1e3:.0f} ms" for v, t in sorted(first.items()))
    else:
        slowest = max(first, key=first.__getitem__)
        first_text = (
            f"{len(first)} schematrons, median {statistics.median(first.values()) * 1e3:.0f} ms,"
            f" slowest {slowest} {first[slowest] * 1e3:.0f} ms"
        )
    ratios_wall, ratios_cpu = [], []
    for run in runs:
        later = [r for r in run["rows"] if not r["first"]]
        cold_wall = sum(r["wall"] for r in later)
        cold_cpu = sum(r["cpu"] for r in later)
        warm_wall = sum(per_doc[r["doc"]][0] for r in later)
        warm_cpu = sum(per_doc[r["doc"]][1] for r in later)
        ratios_wall.append(cold_wall / warm_wall)
        ratios_cpu.append(cold_cpu / warm_cpu)
    # The worst single document after the first of its volet, in CPU, median over runs.
    worst = statistics.median(
        max(r["cpu"] / per_doc[r["doc"]][1] for r in run["rows"] if not r["first"]) for run in runs
    )
    later_count = sum(1 for r in runs[0]["rows"] if not r["first"])
    later_wall = statistics.median(sum(r["wall"] for r in run["rows"] if not r["first"]) for run in runs)
    whole = statistics.median(sum(r["wall"] for r in run["rows"]) for run in runs)
    print(f"{label}:")
    print(f"  first document of each schematron (median of {len(runs)}): {first_text}")
    print(
        f"  after the first: {later_count / later_wall:7.1f} documents/s wall;"
        f" cold/warm per document {statistics.median(ratios_wall):.2f}x wall,"
        f" {statistics.median(ratios_cpu):.2f}x CPU (goal <= 3x); worst document {worst:.2f}x CPU"
    )
    total = len(runs[0]["rows"])
    print(f"  whole process: {total} documents in {whole:.2f} s ({total / whole:.1f} documents/s) after imports")
    return float(statistics.median(ratios_cpu))


def batch(docs: list[tuple[str, bytes]], validator: Any, tmp: Path, size: int, jobs: int) -> None:
    """`homolog validate cda` over files (`validate_files`): in this process, then in `jobs`
    processes. Each side validates `size` then `2 * size` files (the documents written again
    and again): the whole-batch rate includes starting the processes and their first
    document of each volet (from the disk cache `warm` filled); the rate of the second
    `size` files (the difference of the two) is the warm rate of the processes at work."""
    from homolog import usable_cores
    from homolog.suites.documents.cli import validate_files

    jobs = jobs or usable_cores()
    folder = tmp / "batch"
    folder.mkdir()
    files = []
    for k in range(2 * size):
        name, data = docs[k % len(docs)]
        files.append(folder / f"{k:05d}-{name}")
        files[-1].write_bytes(data)
    rates = {}
    for n in (1, jobs):
        took = {}
        for count in (size, 2 * size):
            start = time.perf_counter()
            results = validate_files(files[:count], validator, jobs=n)
            took[count] = time.perf_counter() - start
            assert len(results) == count and not {r.status for r in results} & {"error", "undecided"}
        rates[n] = (2 * size / took[2 * size], size / (took[2 * size] - took[size]))
        print(
            f"validate_files, {n} process{'es' if n > 1 else ''}: {2 * size} files in {took[2 * size]:.2f} s"
            f" ({rates[n][0]:.1f} documents/s whole batch), {rates[n][1]:.1f} documents/s at work"
        )
    if jobs > 1:
        whole, work = (rates[jobs][i] / rates[1][i] for i in (0, 1))
        print(f"{jobs} processes / 1: {whole:.2f}x whole batch, {work:.2f}x at work (goal >= 300 documents/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cda-dir", type=Path, default=ROOT.parent / "shared" / "data" / "cda")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--corpus", choices=("bench", "ans"), default="bench")
    parser.add_argument("--no-steps", action="store_true", help="do not time the steps of a validation")
    parser.add_argument("--jobs", type=int, default=0, help="processes of the batch measure (default: usable cores)")
    parser.add_argument("--batch", type=int, default=1000, help="documents of the batch measure (0: skip it)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    from homolog.suites.documents.material import AnsMaterial
    from homolog.suites.documents.validator import DocumentValidator

    with tempfile.TemporaryDirectory(prefix="homolog-bench-") as tmp:
        validator = DocumentValidator(AnsMaterial.from_root(args.cda_dir), cache_dir=Path(tmp) / "warm")
        docs = usable(validator, documents(args.cda_dir, args.corpus), args.corpus)
        names = [n for n, _ in docs]
        print(
            f"{len(docs)} documents ({args.corpus} corpus); warm {args.seconds:.0f} s; {args.processes} cold processes"
        )
        per_doc = warm(docs, validator, args.seconds)
        wall = sum(w for w, _, _ in per_doc.values())
        cpu = sum(c for _, c, _ in per_doc.values())
        best = sum(b for _, _, b in per_doc.values())
        print(
            f"warm: {len(docs) / wall:7.1f} documents/s wall, {len(docs) / cpu:7.1f} documents/s CPU,"
            f" {len(docs) / best:7.1f} documents/s from each document's best time (goal >= 300)"
        )
        if not args.no_steps:
            print_steps(*steps(docs, validator, args.seconds), cpu / len(docs))
        empty = run_children(args, names, Path(tmp) / "cold")
        ratio = summarise("cold process, empty disk cache", empty, per_doc)
        primed = run_children(args, names, Path(tmp) / "cold")
        summarise("cold process, disk cache filled by a previous run", primed, per_doc)
        print(f"cold/warm per document after the first of its schematron: {ratio:.2f}x CPU (goal <= 3x)")
        if args.batch:
            batch(docs, validator, Path(tmp), args.batch, args.jobs)


if __name__ == "__main__":
    main()
