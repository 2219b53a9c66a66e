"""Differences between two versions of a referential, and the run verdicts they make stale.

    diff_referentials(old, new) -> RefDiff     added / removed / changed requirements
    stale_verdicts(diff, run) -> [StaleVerdict]
                                               verdicts of a run that no longer answer
                                               the requirement as the new version states it

Both sides may be `homolog.referential.Referential` models (includes already resolved)
or plain mappings as read from a referential YAML file (only their own requirements:
includes are not resolved from a mapping).

What counts as a change, and whether it makes a verdict stale:

    field        stale?   why
    text         yes      the statement the verdict answered is not the same any more
    checks       yes      the automated proof is different (check added, removed, new params)
    applies_to   yes      applicability (hence not_applicable verdicts) may differ
    mode         yes      the requirement moved between checks / attestation / not_tested
    attestation  yes      the evidence asked from the vendor is different
    level        no       the verdict still holds; its weight in the decision changes
    title        no       wording of the label only
    family       no       grouping in reports only
    source       no       citation only
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import RunError
from .runfile import RunDocument, read_run

__all__ = [
    "STALE_FIELDS",
    "FieldChange",
    "RefDiff",
    "RequirementChange",
    "StaleVerdict",
    "compare",
    "diff_referentials",
    "stale_verdicts",
]

#: Fields whose change invalidates an earlier verdict (see the module docstring).
STALE_FIELDS: frozenset[str] = frozenset({"text", "checks", "applies_to", "mode", "attestation"})
_COMPARED = (
    "title",
    "text",
    "level",
    "family",
    "source",
    "applies_to",
    "mode",
    "checks",
    "attestation",
)


@dataclass(frozen=True)
class FieldChange:
    """One field of a requirement that differs between the two versions."""

    field: str
    old: Any
    new: Any

    @property
    def stale(self) -> bool:
        """True when this change invalidates a verdict given under the old version."""
        return self.field in STALE_FIELDS

    def describe(self) -> str:
        """One line for a human: what changed, with the check-level detail for checks."""
        if self.field == "checks":
            return f"checks: {_describe_checks(self.old, self.new)}"
        if self.field == "text":
            return "text: statement reworded"
        return f"{self.field}: {_short(self.old)} -> {_short(self.new)}"


@dataclass(frozen=True)
class RequirementChange:
    """A requirement present in both versions whose content differs."""

    id: str
    changes: tuple[FieldChange, ...]

    @property
    def stale(self) -> bool:
        """True when at least one change invalidates an earlier verdict."""
        return any(c.stale for c in self.changes)

    @property
    def fields(self) -> tuple[str, ...]:
        """Names of the fields that changed, in comparison order."""
        return tuple(c.field for c in self.changes)


@dataclass(frozen=True)
class StaleVerdict:
    """A verdict of a run that must be obtained again under the new version."""

    requirement: str
    verdict: str | None
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "requirement": self.requirement,
            "verdict": self.verdict,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class RefDiff:
    """What changed from `old` to `new`; requirement ids are sorted."""

    old_ref: str
    new_ref: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[RequirementChange, ...]
    new_requirements: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)

    @property
    def empty(self) -> bool:
        """True when both versions state the same requirements."""
        return not (self.added or self.removed or self.changed)

    def to_json(self) -> dict[str, Any]:
        """JSON-able form (`homolog.refdiff/1`)."""
        return {
            "format": "homolog.refdiff/1",
            "old": self.old_ref,
            "new": self.new_ref,
            "added": list(self.added),
            "removed": list(self.removed),
            "changed": [
                {
                    "id": c.id,
                    "stale": c.stale,
                    "changes": [{"field": f.field, "stale": f.stale, "old": f.old, "new": f.new} for f in c.changes],
                }
                for c in self.changed
            ],
        }

    def to_text(self, stale: Iterable[StaleVerdict] | None = None) -> str:
        """Plain text report; with `stale`, also the run verdicts to obtain again."""
        lines = [f"referential diff {self.old_ref} -> {self.new_ref}"]
        if self.empty:
            lines.append("no requirement added, removed or changed")
        lines.append(f"added ({len(self.added)}):")
        lines += [f"  + {rid}" for rid in self.added]
        lines.append(f"removed ({len(self.removed)}):")
        lines += [f"  - {rid}" for rid in self.removed]
        lines.append(f"changed ({len(self.changed)}):")
        for c in self.changed:
            lines.append(f"  ~ {c.id}" + ("" if c.stale else "  (verdicts still valid)"))
            lines += [f"      {f.describe()}" for f in c.changes]
        if stale is not None:
            items = list(stale)
            lines.append(f"stale verdicts in the run ({len(items)}):")
            for s in items:
                lines.append(f"  ! {s.requirement} [{s.verdict or 'no verdict'}]: {'; '.join(s.reasons)}")
        return "\n".join(lines) + "\n"


def diff_referentials(old: Any, new: Any) -> RefDiff:
    """Compare two referentials (models or YAML mappings) requirement by requirement."""
    old_reqs = _requirements(old)
    new_reqs = _requirements(new)
    changed: list[RequirementChange] = []
    for rid in sorted(old_reqs.keys() & new_reqs.keys()):
        a, b = old_reqs[rid], new_reqs[rid]
        diffs = tuple(FieldChange(k, a[k], b[k]) for k in _COMPARED if a[k] != b[k])
        if diffs:
            changed.append(RequirementChange(rid, diffs))
    return RefDiff(
        old_ref=_ref_name(old),
        new_ref=_ref_name(new),
        added=tuple(sorted(new_reqs.keys() - old_reqs.keys())),
        removed=tuple(sorted(old_reqs.keys() - new_reqs.keys())),
        changed=tuple(changed),
        new_requirements=new_reqs,
    )


def stale_verdicts(diff: RefDiff, run: RunDocument) -> list[StaleVerdict]:
    """Verdicts of `run` (read with `homolog.runfile.read_run`) that the diff makes stale.

    A verdict is stale when its requirement was removed, or changed in a field listed in
    STALE_FIELDS. A requirement added by the new version has no verdict in the run: it
    is listed too (verdict None) because the run does not cover it; so is one the run
    deselected. The run must have been made against the old version of the same
    referential (`RunError` otherwise): against any other version the diff says nothing
    about it.
    """
    run_ref = run.referential.ref
    if run_ref == diff.new_ref:
        return []
    if run_ref != diff.old_ref:
        raise RunError(
            f"the run was made against {run_ref}, not {diff.old_ref}: "
            f"diff {run_ref} -> {diff.new_ref} to know which of its verdicts are stale"
        )
    verdicts: dict[str, str | None] = {r.id: r.verdict.value for r in run.requirements if r.verdict is not None}
    removed = set(diff.removed)
    changes = {c.id: c for c in diff.changed}
    out: list[StaleVerdict] = []
    for rid in sorted(verdicts):
        if rid in removed:
            out.append(StaleVerdict(rid, verdicts[rid], ("requirement removed",)))
        elif rid in changes and changes[rid].stale:
            reasons = tuple(f.describe() for f in changes[rid].changes if f.stale)
            out.append(StaleVerdict(rid, verdicts[rid], reasons))
    for rid in diff.added:
        if rid not in verdicts:
            out.append(StaleVerdict(rid, None, ("requirement added: not covered by the run",)))
    return out


def compare(old: str | Path, new: str | Path, *, run_dir: Path | None = None, as_json: bool = False) -> str:
    """`homolog referential-diff OLD NEW [--run DIR] [--json]`: the rendered diff.

    OLD and NEW are what `load_referential` accepts (a path, `id` or `id@version`);
    includes are resolved, so a requirement picked from a socle set is compared too.
    With `run_dir`, the verdicts of that run made stale by the diff are listed.
    """
    from .referential import load_referential

    diff = diff_referentials(load_referential(old), load_referential(new))
    stale = None if run_dir is None else stale_verdicts(diff, read_run(run_dir))
    if as_json:
        doc = diff.to_json()
        if stale is not None:
            doc["stale"] = [s.to_json() for s in stale]
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    return diff.to_text(stale)


# --------------------------------------------------------------------------- normalising


def _ref_name(ref: Any) -> str:
    if isinstance(ref, Mapping):
        return f"{ref.get('id')}@{ref.get('version')}"
    return f"{ref.id}@{ref.version}"


def _requirements(ref: Any) -> dict[str, dict[str, Any]]:
    raw = ref.get("requirements") if isinstance(ref, Mapping) else ref.requirements
    out: dict[str, dict[str, Any]] = {}
    for req in raw or ():
        norm = _normalise(req)
        out[norm["id"]] = norm
    return out


def _normalise(req: Any) -> dict[str, Any]:
    """Comparable plain form of a requirement, the same for a model and a YAML mapping."""
    if not isinstance(req, Mapping):
        req = req.to_json()
    checks = [
        {"check": c["check"], "params": _plain(c.get("params", c.get("with")) or {})} for c in req.get("checks") or ()
    ]
    att = req.get("attestation")
    attestation = None
    if att:
        attestation = {
            "evidence": _text(att.get("evidence")),
            "scenario": _text(att.get("scenario")),
            "proofs": [_text(p) for p in att.get("proofs") or ()],
        }
    if checks:
        mode = "checks"
    elif att:
        mode = "attestation"
    else:
        mode = "not_tested"
    applies = {
        k: sorted(map(str, v if isinstance(v, list | tuple) else [v])) for k, v in (req.get("applies_to") or {}).items()
    }
    source = _plain(req.get("source") or {})
    return {
        "id": req["id"],
        "title": req.get("title"),
        "text": _text(req.get("text")),
        "level": req.get("level"),
        "family": req.get("family"),
        "source": {k: v for k, v in source.items() if v is not None},
        "applies_to": applies,
        "mode": mode,
        # order of checks does not change what is proved
        "checks": sorted(checks, key=lambda c: json.dumps(c, sort_keys=True, default=str)),
        "attestation": attestation,
    }


def _text(value: Any) -> dict[str, str | None] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return {"fr": value.strip(), "en": None}
    if not isinstance(value, Mapping):
        value = value.to_json() if hasattr(value, "to_json") else {"fr": str(value)}
    en = value.get("en")
    return {
        "fr": str(value.get("fr", "")).strip(),
        "en": en.strip() if isinstance(en, str) else None,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe_checks(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> str:
    def key(c: dict[str, Any]) -> str:
        return json.dumps(c, sort_keys=True, default=str)

    old_keys = {key(c): c for c in old}
    new_keys = {key(c): c for c in new}
    old_ids = {c["check"] for c in old}
    new_ids = {c["check"] for c in new}
    parts = [f"+{cid}" for cid in sorted(new_ids - old_ids)]
    parts += [f"-{cid}" for cid in sorted(old_ids - new_ids)]
    reparam = sorted({c["check"] for k, c in new_keys.items() if k not in old_keys and c["check"] in old_ids})
    parts += [f"{cid} parameters changed" for cid in reparam]
    return ", ".join(parts) or "reordered"
