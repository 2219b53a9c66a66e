"""What `homolog run` and `homolog demo` print and render after a run (composition layer).

Like `homolog.cli`, this module may import the reports: it is where a finished run
meets its renderers and the terminal.
"""

from __future__ import annotations

from pathlib import Path

from .api import RunResult
from .verdicts import Verdict

__all__ = ["print_summary", "render_reports"]


def render_reports(run_dir: Path, formats: str, lang: str) -> dict[str, Path]:
    """Render the comma-separated `formats` of the run in `run_dir` ("" renders none)."""
    wanted = [f.strip() for f in formats.split(",") if f.strip()]
    if not wanted:
        return {}
    from homolog.reports import render

    return render(run_dir, wanted, lang=lang)


def print_summary(result: RunResult, reports: dict[str, Path]) -> None:
    """One screen: status, counts, the first failures and errors, where things are."""
    doc = result.document
    ref, target = doc.referential, doc.target
    print()
    print(f"  {ref.title} ({ref.id} {ref.version}) — {target.name} {target.version}")
    print(f"  status: {doc.status.upper()}")
    counts = ", ".join(f"{n} {v}" for v, n in doc.summary.requirements.items() if n)
    left_out = doc.summary.deselected.requirements
    if left_out:
        counts += f"; {len(left_out)} not run (deselected)"
    print("  requirements: " + counts)
    bad = [r for r in doc.requirements if r.verdict in (Verdict.FAILED, Verdict.ERROR)]
    for r in bad[:15]:
        msg = next((c.message for c in r.checks if c.verdict == r.verdict and c.message), "")
        print(f"    {r.shown.upper():<7} {r.id}: {r.title}" + (f" — {msg[:100]}" if msg else ""))
    if len(bad) > 15:
        print(f"    ... and {len(bad) - 15} more")
    print(f"  run directory: {result.run_dir}")
    for fmt, path in reports.items():
        print(f"  {fmt} report: {path}")
