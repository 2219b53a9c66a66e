"""What a run will do: for each requirement, whether it applies and which cases verify it.

The plan is made once, when the run starts (`build_plan`), from the referential, the
target and the check registry. The pytest plugin turns its cases into items; the run
document is assembled from it and the results (`homolog.runfile.assemble_run`), so
applicability, case keys, check titles, parameters and needs are decided in one place.

Applicability never guesses. A requirement, or one check reference of it, applies
unless its `applies_to` names something the target declares otherwise:

    options.<key>   an option the target declares with another value (an option it does
                    not declare never excludes)
    base_urls       the target declares none of these base URLs (e.g. no FHIR API)
    data_policy     the target's data policy (`readonly` unless it says `create`)
    auth.<name>     the kind of that auth entry (`none` when the target declares none)

A requirement that does not apply is `not_applicable` with that reason; a check reference
that does not apply is not run, and a requirement none of whose checks applies is
`skipped` (nothing automated can verify it on this target). What a check needs and the
target does not declare (`homolog.Needs`: base URLs, auths, pages, data, the right to
write) makes its case `error` naming the missing key, without running it.

Parameters: the referential's `with:`, then the target's `overrides:` by check id, then
by requirement id (`resolve_overrides`); each override is kept with the default it
replaces, for the reports.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .checks import CheckSpec, Needs, ParamsError
from .errors import Problem, TargetError
from .referential import CheckRef, Referential, Requirement
from .target import Target

__all__ = [
    "Case",
    "Override",
    "PlannedRequirement",
    "RunPlan",
    "applicability",
    "build_plan",
    "resolve_overrides",
    "unmet_needs",
]

#: applies_to keys that are about what the target declares itself, not its options.
DECLARED_KEYS = ("base_urls", "data_policy")


@dataclass(frozen=True)
class Override:
    """A check parameter the target sets, and the value it replaces."""

    param: str
    value: Any
    default: Any  # the referential's `with:` value, else the check's own default
    source: str  # the `overrides:` key of the target: a requirement id or a check id

    def to_json(self) -> dict[str, Any]:
        return {"param": self.param, "value": self.value, "default": self.default, "set_by": self.source}


@dataclass(frozen=True)
class Case:
    """One pytest item: a requirement verified by one check with its parameters."""

    requirement: Requirement
    ref: CheckRef
    index: int
    title: str = ""  # the check's report sentence, or its id when the check is unknown
    params: Mapping[str, Any] | None = None  # the referential's with: plus the target's overrides
    overrides: tuple[Override, ...] = ()
    unmet: tuple[str, ...] = ()  # what the check needs and the target does not declare

    @property
    def params_json(self) -> dict[str, Any]:
        """The parameters the check runs with."""
        return dict(self.params) if self.params is not None else self.ref.params_json

    # key, execution, test_id and slug are asked for several times per item (hooks, result
    # line, evidence names): computed once per case (the case is frozen, so they never change)
    @cached_property
    def key(self) -> str:
        return f"{self.requirement.id}::{self.ref.check}::{self.ref.label or self.ref.params_digest}"

    @cached_property
    def execution(self) -> str:
        """One execution of a check: the check and the parameters it runs with (the target's
        overrides applied). Cases of several requirements with the same execution run once."""
        blob = json.dumps(self.params_json, sort_keys=True, separators=(",", ":"), default=str)
        return f"{self.ref.check}::{hashlib.sha256(blob.encode()).hexdigest()[:16]}"

    @cached_property
    def test_id(self) -> str:
        suffix = (
            f"[{self.ref.label}]" if self.ref.label else ("" if not self.ref.params else f"[{self.ref.params_digest}]")
        )
        return f"{self.requirement.id}::{self.ref.check}{suffix}"

    @cached_property
    def slug(self) -> str:
        raw = f"{self.requirement.id}--{self.ref.check}--{self.ref.label or self.ref.params_digest}"
        return re.sub(r"[^A-Za-z0-9._-]+", "_", raw)[:150]


@dataclass(frozen=True)
class PlannedRequirement:
    """A requirement of the referential and what the run does about it."""

    requirement: Requirement
    not_applicable: str | None  # the reason, naming the target's declaration; None when it applies
    cases: tuple[Case, ...]  # empty unless it applies and is automated
    omitted: tuple[str, ...] = ()  # why check references of it are not run on this target

    @property
    def nothing_applies(self) -> bool:
        """Automated, applicable, but none of its checks applies to this target."""
        return self.not_applicable is None and self.requirement.kind == "automated" and not self.cases


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


# --------------------------------------------------------------------------- applicability


def _declared(target: Target, key: str) -> list[str] | None:
    """The values the target declares for an applies_to key; None when it says nothing."""
    if key == "base_urls":
        return list(target.base_urls)
    if key == "data_policy":
        return [target.data_policy]
    if key.startswith("auth."):
        spec = target.auth(key.removeprefix("auth."))
        return ["none" if spec is None else spec.type]
    options = target.options
    if key not in options:
        return None  # an undeclared option never excludes: the requirement applies
    declared = options[key]
    return [str(v) for v in (declared if isinstance(declared, list | tuple) else [declared])]


def _why(key: str, values: list[str], accepted: Sequence[Any], target: Target) -> str:
    where = f"{target.path.name}: " if target.path else ""
    wanted = json.dumps([str(a) for a in accepted], ensure_ascii=False)
    if key == "base_urls":
        names = " or ".join(repr(str(a)) for a in accepted)
        return f"{where}the target declares no base URL {names} (base_urls: {', '.join(values)})"
    if key == "data_policy":
        if values == ["readonly"]:
            return f"{where}target is read-only (data_policy: readonly); the requirement needs data_policy in {wanted}"
        return f"{where}data_policy: {values[0]}; the requirement applies to data_policy in {wanted}"
    if key.startswith("auth."):
        if values == ["none"]:
            return f"{where}the target declares no {key} (no login); the requirement applies to {key} in {wanted}"
        return f"{where}{key} is of type {values[0]}; the requirement applies to {key} in {wanted}"
    declared = target.options[key]
    return (
        f"{where}options.{key} = {json.dumps(declared, ensure_ascii=False)}; "
        f"the requirement applies to {key} in {wanted}"
    )


def applicability(req: Requirement | CheckRef, target: Target) -> str | None:
    """None when the requirement (or check reference) applies; otherwise the reason."""
    for key, accepted in req.applies_to.items():
        values = _declared(target, key)
        if values is None:
            continue
        if not set(values) & set(map(str, accepted)):
            return _why(key, values, accepted, target)
    return None


# --------------------------------------------------------------------------- needs


def unmet_needs(needs: Needs, target: Target) -> list[str]:
    """The keys a check needs that the target does not declare, each named for the user."""
    missing = [f"base_urls.{b}" for b in needs.bases if b not in target.base_urls]
    missing += [f"auth.{a}" for a in needs.auth if target.auth(a) is None]
    missing += [f"pages.{p}" for p in needs.pages if p not in target.pages]
    creatable = set(needs.creates) if target.data_policy == "create" else set()
    missing += [f"data.{d}" for d in needs.data if d not in target.data and d not in creatable]
    writes = needs.writes or any(d not in target.data for d in needs.data if d in needs.creates)
    if writes and target.data_policy != "create":
        missing.append("data_policy: create (the target is read-only and this check writes to the system)")
    return missing


# --------------------------------------------------------------------------- overrides


def resolve_overrides(
    req: Requirement, ref: CheckRef, spec: CheckSpec | None, overrides: Mapping[str, Mapping[str, Any]]
) -> tuple[dict[str, Any], tuple[Override, ...]]:
    """The parameters a case runs with, and the overrides applied (validated by `override_problems`).

    An override keyed by the check id applies wherever the check is used; one keyed by the
    requirement id applies to that requirement's checks whose parameters know the key, and
    wins over the check-id one.
    """
    params = ref.params_json
    fields = set(spec.params.model_fields) if spec is not None and spec.params is not None else set()
    applied: dict[str, Override] = {}
    for source in (ref.check, req.id):
        for param, value in (overrides.get(source) or {}).items():
            if param not in fields:
                continue
            default = params[param] if param in params else _model_default(spec, param)
            applied[param] = Override(param, value, default, source)
    merged = params | {p: o.value for p, o in applied.items()}
    return merged, tuple(applied.values())


def _model_default(spec: CheckSpec | None, param: str) -> Any:
    if spec is None or spec.params is None:
        return None
    info = spec.params.model_fields[param]
    value = info.get_default(call_default_factory=True)
    return json.loads(json.dumps(value, default=_jsonable))


def _jsonable(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if dump is not None:
        return dump(mode="json")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def override_problems(
    referential: Referential, target: Target, lookup: Callable[[str], CheckSpec | None]
) -> list[Problem]:
    """Every problem of the target's `overrides:` against this referential and the registry."""
    problems: list[Problem] = []
    reqs = {r.id: r for r in referential.requirements}
    for key, values in target.overrides.items():
        if key in reqs:
            specs = [lookup(ref.check) for ref in reqs[key].checks]
            known = {f for s in specs if s is not None and s.params is not None for f in s.params.model_fields}
            if not reqs[key].checks:
                problems.append(_problem(target, (key,), f"requirement {key} has no check: nothing to set"))
                continue
        else:
            spec = lookup(key)
            if spec is None:
                close = difflib.get_close_matches(key, [*reqs, *_check_ids(referential)], n=1)
                problems.append(
                    _problem(
                        target,
                        (key,),
                        f"no requirement of {referential.ref} and no check is named {key!r}",
                        close[0] if close else None,
                    )
                )
                continue
            known = set(spec.params.model_fields) if spec.params is not None else set()
        for param in values:
            if param not in known:
                close = difflib.get_close_matches(param, sorted(known), n=1)
                what = ", ".join(sorted(known)) or "none"
                problems.append(
                    _problem(
                        target,
                        (key, param),
                        f"unknown parameter for {key} (parameters: {what})",
                        close[0] if close else None,
                    )
                )
    if problems:
        return problems
    # values: each affected case's merged parameters must fit its check's model
    for req in referential.requirements:
        for ref in req.checks:
            spec = lookup(ref.check)
            if spec is None:
                continue
            params, applied = resolve_overrides(req, ref, spec, target.overrides)
            if not applied:
                continue
            try:
                spec.validate_params(params)
            except ParamsError as exc:
                by_param = {o.param: o.source for o in applied}
                for param, message in exc.problems:
                    top = param.split(".", 1)[0]
                    if top in by_param:
                        problems.append(_problem(target, (by_param[top], *param.split(".")), f"{ref.check}: {message}"))
    return list({str(p): p for p in problems}.values())


def _check_ids(referential: Referential) -> list[str]:
    return sorted({ref.check for r in referential.requirements for ref in r.checks})


def _problem(target: Target, path: tuple[str, ...], message: str, suggestion: str | None = None) -> Problem:
    full: tuple[str | int, ...] = ("overrides", *path)
    line = None
    for end in range(len(full), 0, -1):
        line = target.lines.get(full[:end])
        if line is not None:
            break
    dotted = "overrides." + ".".join(path)
    return Problem(target.path, line, dotted, message, suggestion)


# --------------------------------------------------------------------------- the plan


@dataclass
class _Lookup:
    """Check specs by id (None for an unknown id), asked once each."""

    find: Callable[[str], CheckSpec | None]
    seen: dict[str, CheckSpec | None] = field(default_factory=dict)

    def __call__(self, check_id: str) -> CheckSpec | None:
        if check_id not in self.seen:
            self.seen[check_id] = self.find(check_id)
        return self.seen[check_id]


def build_plan(
    referential: Referential,
    target: Target,
    title: Callable[[str], str],
    *,
    checks: Callable[[str], CheckSpec | None] | None = None,
) -> RunPlan:
    """The plan of a run; `title(check_id)` gives a check's report sentence.

    With `checks` (the registry's specs by id), the target's overrides are validated
    and applied and each case's needs are resolved against the target; problems of the
    overrides raise `TargetError` naming file, line and key.
    """
    lookup = _Lookup(checks) if checks is not None else None
    if lookup is not None and target.overrides:
        problems = override_problems(referential, target, lookup)
        if problems:
            raise TargetError(problems)
    planned = []
    for req in referential.requirements:
        reason = applicability(req, target)
        cases: list[Case] = []
        omitted: list[str] = []
        if reason is None and req.kind == "automated":
            for i, ref in enumerate(req.checks):
                why = applicability(ref, target)
                if why is not None:
                    omitted.append(f"{ref.check} not run: {why}")
                    continue
                cases.append(_case(req, ref, i, title(ref.check), target, lookup))
        planned.append(PlannedRequirement(req, reason, tuple(cases), tuple(omitted)))
    return RunPlan(referential, tuple(planned))


def _case(req: Requirement, ref: CheckRef, index: int, title: str, target: Target, lookup: _Lookup | None) -> Case:
    if lookup is None:
        return Case(req, ref, index, title)
    spec = lookup(ref.check)
    params, applied = resolve_overrides(req, ref, spec, target.overrides)
    unmet: list[str] = []
    if spec is not None:
        with contextlib.suppress(ParamsError):  # the case reports invalid parameters when it runs
            unmet = unmet_needs(spec.needs_for(spec.validate_params(params)), target)
    return Case(req, ref, index, title, params, applied, tuple(unmet))
