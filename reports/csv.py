"""CSV coverage matrix: requirement × check × verdict, and coverage counts.

``coverage.csv`` has one row per (requirement, check) — or one row for a requirement
without checks — with the requirement's coverage mode (automated, manual,
not-tested). ``coverage-summary.csv`` counts requirements per source referential
(programme) and mode, so a programme owner sees how much is automated. A requirement
the session did not run (deselected) has the verdict ``deselected`` in the matrix and
its own column in the summary, never one of the verdict columns.

Cells are written with the csv module (quoting handled) and any cell starting with
``= + - @`` or a control character is prefixed with ``'`` so a spreadsheet never
evaluates SUT-controlled text as a formula.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

from homolog.reports.labels import verdict_label
from homolog.reports.model import Run
from homolog.verdicts import DESELECTED, Verdict

__all__ = ["CsvReporter", "safe_cell"]

MAX_CELL_CHARS = 32000  # spreadsheets refuse longer cells


def safe_cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text, never as a formula."""
    text = "" if value is None else str(value)
    if len(text) > MAX_CELL_CHARS:
        text = text[:MAX_CELL_CHARS] + " […]"
    if text and (text[0] in "=+-@\t\r\n" or text[0] < " "):
        text = "'" + text
    return text


MATRIX_COLUMNS = (
    "origin",
    "requirement",
    "title",
    "level",
    "family",
    "mode",
    "requirement_verdict",
    "check",
    "params",
    "check_verdict",
    "verdict_label",
    "message",
    "evidence_count",
)
SUMMARY_COLUMNS = (
    "origin",
    "requirements",
    "automated",
    "manual",
    "not_tested",
    "passed",
    "failed",
    "error",
    "other",
    "deselected",
)

# Verdicts with a column of their own in the summary; the others add up in "other".
_OWN_COLUMN = frozenset({Verdict.PASSED, Verdict.FAILED, Verdict.ERROR})


class CsvReporter:
    """CSV coverage matrix (``coverage.csv``, plus ``coverage-summary.csv``)."""

    name = "csv"
    filename = "coverage.csv"
    summary_filename = "coverage-summary.csv"

    def render(self, run: Run, out_dir: Path, lang: str) -> Path:
        """Write the matrix and the per-programme counts; return the matrix path."""
        path = out_dir / self.filename
        with path.open("w", encoding="utf-8-sig", newline="", errors="replace") as fh:
            # utf-8-sig: spreadsheet programs detect UTF-8 by the BOM (accents).
            w = csv.writer(fh)
            w.writerow(MATRIX_COLUMNS)
            for req in run.requirements:
                base = [
                    req.origin,
                    req.id,
                    req.title,
                    req.level,
                    req.family or "-",
                    req.kind.replace("_", "-"),
                    req.shown,
                ]
                if not req.checks:
                    w.writerow(
                        [
                            safe_cell(v)
                            for v in [
                                *base,
                                "",
                                "",
                                req.shown,
                                verdict_label(req.shown, lang),
                                req.reason or "",
                                0,
                            ]
                        ]
                    )
                for chk in req.checks:
                    params = json.dumps(chk.params, ensure_ascii=False, sort_keys=True) if chk.params else ""
                    w.writerow(
                        [
                            safe_cell(v)
                            for v in [
                                *base,
                                chk.check,
                                params,
                                chk.shown,
                                verdict_label(chk.shown, lang),
                                chk.message,
                                len(chk.evidence),
                            ]
                        ]
                    )
        groups: dict[str, Counter[str]] = {}
        for req in run.requirements:
            cnt = groups.setdefault(req.origin or "-", Counter())
            cnt["requirements"] += 1
            cnt[req.kind] += 1
            if req.verdict is None:
                cnt[DESELECTED] += 1
            else:
                cnt[req.verdict.value if req.verdict in _OWN_COLUMN else "other"] += 1
        total: Counter[str] = Counter()
        with (out_dir / self.summary_filename).open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(SUMMARY_COLUMNS)
            for origin, cnt in groups.items():
                total.update(cnt)
                w.writerow([safe_cell(origin), *(cnt[c] for c in SUMMARY_COLUMNS[1:])])
            w.writerow(["TOTAL", *(total[c] for c in SUMMARY_COLUMNS[1:])])
        return path
