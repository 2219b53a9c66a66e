"""`homolog lint`: every problem of referential and target files, located, without traceback."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .checks import ParamsError, registry
from .errors import ConfigError, Problem
from .referential import builtin_root, load_referential, parse_document, search_path
from .target import load_target
from .yamlsafe import load_yaml

__all__ = ["TargetFit", "lint_files", "lint_paths", "lint_target"]


def _yaml_files(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.suffix in (".yaml", ".yml") and f.is_file())
        else:
            out.append(p)
    return out


def lint_paths(paths: Sequence[Path] = ()) -> tuple[int, list[Problem]]:
    """Lint files and folders (default: the built-in referentials); returns (files, problems)."""
    files = _yaml_files(paths or [builtin_root()])
    return len(files), lint_files(files)


def lint_files(files: Sequence[Path]) -> list[Problem]:
    problems: list[Problem] = []
    registry.load()  # a suite that fails to import is a problem of its own
    for name, err in registry.load_errors.items():
        problems.append(Problem(None, None, name, f"suite module failed to import: {err}"))
    for path in files:
        problems += lint_file(path)
    return problems


def lint_file(path: Path) -> list[Problem]:
    """Problems of one file, whatever its format (referential, target, attestations, waivers)."""
    if not path.is_file():
        return [Problem(path, None, "", "file not found")]
    try:
        doc = load_yaml(path)
    except ConfigError as exc:
        return exc.problems
    fmt = doc.data.get("format") if isinstance(doc.data, dict) else None
    try:
        if fmt == "homolog.target/1":
            load_target(path)
            return []
        if fmt in ("homolog.attestations/1", "homolog.waivers/1"):
            from .attest import load_attestations, load_waivers

            (load_attestations if fmt == "homolog.attestations/1" else load_waivers)(path)
            return []
        if fmt != "homolog.referential/1":
            return [
                doc.problem(
                    ("format",), "unknown or missing format; expected homolog.referential/1 or homolog.target/1"
                )
            ]
        located = parse_document(path)
    except ConfigError as exc:
        return exc.problems
    problems: list[Problem] = []
    for i, req in enumerate(located.data.get("requirements") or []):
        for j, ref in enumerate(req.get("checks") or []):
            check_id = ref.get("check")
            try:
                spec = registry.get(check_id)
            except KeyError as exc:
                problems.append(located.problem(("requirements", i, "checks", j, "check"), str(exc.args[0])))
                continue
            try:
                spec.validate_params(ref.get("with"))
            except ParamsError as exc:
                for key, msg in exc.problems:
                    problems.append(
                        located.problem(("requirements", i, "checks", j, "with", key), f"{check_id}: {msg}")
                    )
    if not problems:
        try:
            load_referential(path, roots=[path.resolve().parent.parent, *search_path()])
        except ConfigError as exc:
            problems += exc.problems
    return problems


@dataclass(frozen=True)
class TargetFit:
    """What a run of a referential would do with a target, known before it runs."""

    not_applicable: list[tuple[str, str]]  # (requirement, reason naming the declaration)
    unmet: list[tuple[str, str, list[str]]]  # (requirement, check, keys the target lacks)
    omitted: list[tuple[str, str]]  # (requirement, "check not run: reason")
    cases: int

    def lines(self) -> list[str]:
        out = [f"{rid}: not applicable: {why}" for rid, why in self.not_applicable]
        out += [f"{rid}: {why}" for rid, why in self.omitted]
        out += [
            f"{rid} ({check}): error before it runs: the target does not declare {', '.join(keys)}"
            for rid, check, keys in self.unmet
        ]
        return out


def lint_target(referential: str | Path, target_path: Path, roots: Sequence[Path] = ()) -> TargetFit:
    """The requirements a run would find not applicable, and the cases it would end in `error`
    because the target leaves out what their checks need (ConfigError: the files are wrong)."""
    from .plan import build_plan

    registry.load()
    ref = load_referential(referential, roots=search_path(roots))
    target = load_target(target_path)

    def spec(check_id: str) -> Any:
        return registry.get(check_id) if check_id in registry else None

    plan = build_plan(ref, target, lambda c: c, checks=spec)
    unmet = [(c.requirement.id, c.ref.check, list(c.unmet)) for c in plan.cases if c.unmet]
    not_applicable = [(p.requirement.id, p.not_applicable) for p in plan if p.not_applicable is not None]
    omitted = [(p.requirement.id, why) for p in plan for why in p.omitted]
    return TargetFit(not_applicable, unmet, omitted, len(plan.cases))
