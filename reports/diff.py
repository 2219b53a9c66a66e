"""Compare two runs: which requirements got worse, got better, appeared or went away.

Requirements are matched by id. A verdict change is a **regression** when the new
verdict is more severe than the old one, a **fix** when it is less severe, and an
**other change** when both weigh the same. Severity is the engine's
(:func:`homolog.verdicts.severity`): its precedence order (failed, error, skipped,
manual, waived, ...), where passed, attested and not_applicable weigh the same
because each settles the requirement in the system's favour without a failure.
So passed -> error is a regression, error -> failed too (the run went from
incomplete to non-compliant), failed -> error is a fix of compliance but leaves a
verdict to obtain, and passed -> attested is a change.

A requirement one of the runs did not run (deselected) is neither: it is listed
apart as not compared.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from homolog.reports.model import Requirement, Run, load_run
from homolog.verdicts import Verdict, severity

__all__ = ["Change", "RunDiff", "diff_runs"]


@dataclass(frozen=True)
class Change:
    """A requirement whose verdict changed between the two runs."""

    id: str
    title: str
    before: str
    after: str
    message: str = ""  # the first message of a non-passing check in the newer run
    checks: tuple[tuple[str, str, str], ...] = ()  # (check id, before, after) that changed


@dataclass
class RunDiff:
    """Differences between run A (before) and run B (after)."""

    run_a: dict[str, Any]
    run_b: dict[str, Any]
    regressions: list[Change] = field(default_factory=list)
    fixes: list[Change] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    added: list[tuple[str, str]] = field(default_factory=list)  # (id, verdict in B)
    removed: list[tuple[str, str]] = field(default_factory=list)  # (id, verdict in A)
    not_compared: list[tuple[str, str, str]] = field(default_factory=list)  # (id, in A, in B): one not run
    unchanged: int = 0

    @property
    def has_regression(self) -> bool:
        """True when at least one requirement's verdict got worse (exit code 100)."""
        return bool(self.regressions)

    def to_json(self) -> str:
        """The diff as a JSON document (stable key order)."""
        doc = {
            "format": "homolog.diff/1",
            "run_a": self.run_a,
            "run_b": self.run_b,
            "has_regression": self.has_regression,
            "regressions": [asdict(c) for c in self.regressions],
            "fixes": [asdict(c) for c in self.fixes],
            "changes": [asdict(c) for c in self.changes],
            "added": [{"id": i, "verdict": v} for i, v in self.added],
            "removed": [{"id": i, "verdict": v} for i, v in self.removed],
            "not_compared": [{"id": i, "before": a, "after": b} for i, a, b in self.not_compared],
            "unchanged": self.unchanged,
        }
        return json.dumps(doc, ensure_ascii=False, indent=2)

    def to_text(self) -> str:
        """A plain-text summary, one line per changed, added or removed requirement."""
        a, b = self.run_a, self.run_b
        lines = [
            f"A: {a['path']}  ({a['referential']}, {a['status']}, {a['finished']})",
            f"B: {b['path']}  ({b['referential']}, {b['status']}, {b['finished']})",
        ]
        if a["referential"] != b["referential"]:
            lines.append("note: the runs use different referential versions")

        def section(title: str, items: list[Change]) -> None:
            if not items:
                return
            lines.append(f"\n{title} ({len(items)}):")
            for c in items:
                lines.append(f"  {c.id}: {c.before} -> {c.after}  {c.title}".rstrip())
                for chk, before, after in c.checks:
                    lines.append(f"      {chk}: {before} -> {after}")
                if c.message:
                    lines.append(f"      {c.message.splitlines()[0][:200]}")

        section("REGRESSIONS", self.regressions)
        section("fixes", self.fixes)
        section("other changes", self.changes)
        if self.added:
            lines.append(f"\nadded ({len(self.added)}):")
            lines += [f"  {i}: {v}" for i, v in self.added]
        if self.removed:
            lines.append(f"\nremoved ({len(self.removed)}):")
            lines += [f"  {i}: {v}" for i, v in self.removed]
        if self.not_compared:
            lines.append(f"\nnot compared, not run in one of the runs ({len(self.not_compared)}):")
            lines += [f"  {i}: {a} -> {b}" for i, a, b in self.not_compared]
        lines.append(
            f"\n{len(self.regressions)} regression(s), {len(self.fixes)} fix(es), "
            f"{len(self.changes)} other change(s), {len(self.added)} added, "
            f"{len(self.removed)} removed, {self.unchanged} unchanged"
        )
        return "\n".join(lines)


def _describe(run: Run) -> dict[str, Any]:
    ref = run.referential
    return {
        "path": str(run.dir),
        "run_id": run.run_id,
        "referential": ref.ref,
        "status": run.status,
        "finished": run.finished,
    }


def _check_changes(req_a: Requirement, req_b: Requirement) -> tuple[tuple[str, str, str], ...]:
    def key_map(req: Requirement) -> dict[str, str]:
        out: dict[str, str] = {}
        for chk in req.checks:
            key = chk.check
            if chk.params:
                key += json.dumps(dict(chk.params), sort_keys=True, ensure_ascii=False)
            out[key] = chk.shown
        return out

    before, after = key_map(req_a), key_map(req_b)
    return tuple(
        (k, before.get(k, "-"), after.get(k, "-"))
        for k in sorted(before.keys() | after.keys())
        if before.get(k) != after.get(k)
    )


def diff_runs(run_a: Path, run_b: Path) -> RunDiff:
    """Compare run A (before) with run B (after); raise ReportError if one is unusable."""
    a, b = load_run(Path(run_a)), load_run(Path(run_b))
    result = RunDiff(run_a=_describe(a), run_b=_describe(b))
    by_id_a = {r.id: r for r in a.requirements}
    by_id_b = {r.id: r for r in b.requirements}
    for req_b in b.requirements:
        req_a = by_id_a.get(req_b.id)
        if req_a is None:
            result.added.append((req_b.id, req_b.shown))
            continue
        before, after = req_a.verdict, req_b.verdict
        if before is None or after is None:
            if before != after:
                result.not_compared.append((req_b.id, req_a.shown, req_b.shown))
            else:
                result.unchanged += 1
            continue
        if before == after:
            result.unchanged += 1
            continue
        message = next(
            (c.message for c in req_b.checks if c.verdict not in (Verdict.PASSED, None) and c.message),
            req_b.reason or "",
        )
        change = Change(req_b.id, req_b.title, before.value, after.value, message, _check_changes(req_a, req_b))
        if severity(after) > severity(before):
            result.regressions.append(change)
        elif severity(after) < severity(before):
            result.fixes.append(change)
        else:
            result.changes.append(change)
    result.removed = [(r.id, r.shown) for r in a.requirements if r.id not in by_id_b]
    return result
