"""What a run will do: for each requirement, whether it applies and which cases verify it.

The plan is made once, when the run starts (`build_plan`), from the referential, the
target and the check registry. The pytest plugin turns its cases into items; the run
document is assembled from it and the results (`homolog.runfile.assemble_run`), so
applicability, case keys and check titles are decided in one place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .referential import CheckRef, Referential, Requirement
from .target import Target

__all__ = ["Case", "PlannedRequirement", "RunPlan", "applicability", "build_plan"]


@dataclass(frozen=True)
class Case:
    """One pytest item: a requirement verified by one check with its parameters."""

    requirement: Requirement
    ref: CheckRef
    index: int
    title: str = ""  # the check's report sentence, or its id when the check is unknown

    @property
    def key(self) -> str:
        return f"{self.requirement.id}::{self.ref.check}::{self.ref.label or self.ref.params_digest}"

    @property
    def test_id(self) -> str:
        suffix = (
            f"[{self.ref.label}]" if self.ref.label else ("" if not self.ref.params else f"[{self.ref.params_digest}]")
        )
        return f"{self.requirement.id}::{self.ref.check}{suffix}"

    @property
    def slug(self) -> str:
        raw = f"{self.requirement.id}--{self.ref.check}--{self.ref.label or self.ref.params_digest}"
        return re.sub(r"[^A-Za-z0-9._-]+", "_", raw)[:150]


@dataclass(frozen=True)
class PlannedRequirement:
    """A requirement of the referential and what the run does about it."""

    requirement: Requirement
    not_applicable: str | None  # the reason, naming the target's declaration; None when it applies
    cases: tuple[Case, ...]  # empty unless it applies and is automated


@dataclass(frozen=True)
class RunPlan:
    """Every requirement of the referential, in order, with its cases."""

    referential: Referential
    requirements: tuple[PlannedRequirement, ...]

    @property
    def cases(self) -> list[Case]:
        return [c for p in self.requirements for c in p.cases]

    def __iter__(self) -> Iterator[PlannedRequirement]:
        return iter(self.requirements)


def applicability(req: Requirement, target: Target) -> str | None:
    """None when the requirement applies; otherwise the reason, naming the declaration."""
    options = target.options
    for key, accepted in req.applies_to.items():
        if key not in options:
            continue  # an undeclared option never excludes: the requirement applies
        declared = options[key]
        values = declared if isinstance(declared, list | tuple) else [declared]
        if not set(map(str, values)) & set(map(str, accepted)):
            where = f"{target.path.name}: " if target.path else ""
            return (
                f"{where}options.{key} = {json.dumps(declared, ensure_ascii=False)}; "
                f"the requirement applies to {key} in {json.dumps(list(accepted), ensure_ascii=False)}"
            )
    return None


def build_plan(referential: Referential, target: Target, title: Callable[[str], str]) -> RunPlan:
    """The plan of a run; `title(check_id)` gives a check's report sentence."""
    planned = []
    for req in referential.requirements:
        reason = applicability(req, target)
        cases: tuple[Case, ...] = ()
        if reason is None and req.kind == "automated":
            cases = tuple(Case(req, ref, i, title(ref.check)) for i, ref in enumerate(req.checks))
        planned.append(PlannedRequirement(req, reason, cases))
    return RunPlan(referential, tuple(planned))
