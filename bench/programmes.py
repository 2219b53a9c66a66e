"""Speed of the programme tools: Ségur proof export and referential diff.

Run on demand (not a test): `.venv/bin/python bench/programmes.py [N]` builds a synthetic
run of N requirements (default 500) with 4 evidence files each, exports the proof file,
then diffs two synthetic referentials of N requirements, and prints the figures.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "reports"))

from synthrun import SynthCheck, SynthReq, build_run  # noqa: E402

from homolog.refdiff import diff_referentials, stale_verdicts  # noqa: E402
from homolog.reports.segur_proofs import export_segur_proofs  # noqa: E402
from homolog.runfile import ReferentialInfo, read_run  # noqa: E402


def _run(root: Path, n: int) -> Path:
    blob = b'{"request": "GET /", "response": 200}' * 50
    reqs = [
        SynthReq(
            f"SSI/IAM.{i:04d}",
            "passed",
            title=f"Exigence {i}",
            text_fr="Le système fait ce qui est attendu." * 3,
            origin="bench@1",
            checks=[
                SynthCheck(
                    "security.headers.hsts",
                    "passed",
                    title="HSTS",
                    evidence=[(f"{j:02d}-http-GET.json", blob) for j in range(4)],
                )
            ],
        )
        for i in range(n)
    ]
    return build_run(root / "run", reqs, referential_id="bench", options={"profile": "DPI"})


def _ref(version: str, n: int, changed_every: int) -> dict[str, object]:
    reqs = []
    for i in range(n):
        text = f"Le système fait {i}." + (" (révisé)" if changed_every and i % changed_every == 0 else "")
        reqs.append(
            {
                "id": f"SSI/IAM.{i:04d}",
                "title": f"Exigence {i}",
                "text": {"fr": text},
                "level": "exigence",
                "source": {"document": "REM"},
                "checks": [{"check": "security.headers.hsts", "with": {"min_max_age": 60}}],
            }
        )
    return {"id": "bench", "version": version, "requirements": reqs}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        run = _run(root, n)
        t1 = time.perf_counter()
        paths = export_segur_proofs(run, root / "out")
        t2 = time.perf_counter()
        sizes = ", ".join(f"{p.name} {p.stat().st_size // 1024} KiB" for p in paths)
        print(f"synthetic run: {n} requirements, {4 * n} evidence files ({t1 - t0:.2f} s to build)")
        print(f"segur-proofs export: {t2 - t1:.2f} s ({sizes})")

        old, new = _ref("1", n, 0), _ref("2", n, 10)
        t3 = time.perf_counter()
        diff = diff_referentials(old, new)
        t4 = time.perf_counter()
        run_doc = dataclasses.replace(read_run(run), referential=ReferentialInfo("bench", "1", "bench", "0" * 64))
        stale = stale_verdicts(diff, run_doc)
        t5 = time.perf_counter()
        print(f"refdiff: {n} requirements, {len(diff.changed)} changed in {t4 - t3:.3f} s")
        print(f"stale_verdicts: {len(stale)} stale of {n} in {t5 - t4:.3f} s")


if __name__ == "__main__":
    main()
