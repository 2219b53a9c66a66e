"""Checks: plain functions registered under a stable dotted id.

    class HstsParams(Params):
        min_max_age: int = 31536000

    @check("security.headers.hsts", params=HstsParams)
    def hsts(http, params): '''The server sends HSTS with a long enough max-age.'''

    @check("security.auth.session_timeout", timeout=300)   # seconds it may run (default 120)

Asked for a check it does not hold yet, the registry imports the check modules of that
check's group (by the layout rule: `suites/<domain>/<group>/<name>.py` for the check
`<domain>.<group>.<name>`; a module may register several checks of its group) and its
domain's `fixtures.py`; when that does not find it, every built-in suite's check modules
and the modules named by the `homolog.suites` entry-point group (third-party suites), as
`load()` does (listing, linting and coverage ask for every check). So a check exists as
soon as its file does, and a run imports the groups its referential names, not every
suite with its dependencies (DICOM, hypothesis, the FHIR validator…) that it never uses.
A domain's other modules are support code, loaded only when a check imports them: a
counterpart simulator or a measurement corpus never loads with the checks.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import os
import pkgutil
import re
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["CheckSpec", "Needs", "Params", "ParamsError", "Registry", "check", "registry"]

CHECK_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
F = TypeVar("F", bound=Callable[..., Any])


class Params(BaseModel):
    """Base of a check's parameter model: unknown keys are refused, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


@dataclass(frozen=True)
class Needs:
    """What a check needs the target to declare, resolved once by the plan (`homolog.plan`).

    A need the target does not declare makes the case `error` naming the missing key,
    before the check runs; a requirement (or a check reference) whose `applies_to`
    says the target need not have it is `not_applicable` instead. `writes`: the check
    changes data on the system, which a target with `data_policy: readonly` forbids.
    `creates`: data keys the check makes itself (through the API, recorded for clean-up)
    when the target declares none and lets the run write.
    """

    bases: tuple[str, ...] = ()
    auth: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    data: tuple[str, ...] = ()
    writes: bool = False
    creates: tuple[str, ...] = ()

    def __or__(self, other: Needs) -> Needs:
        def join(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(dict.fromkeys((*a, *b)))

        return Needs(
            join(self.bases, other.bases),
            join(self.auth, other.auth),
            join(self.pages, other.pages),
            join(self.data, other.data),
            self.writes or other.writes,
            join(self.creates, other.creates),
        )


#: A check's needs: fixed, or computed from its validated parameters (None when it takes none).
NeedsSpec = Needs | Callable[[Any], Needs]


class ParamsError(ValueError):
    """Parameters given in a referential do not fit the check's model."""

    def __init__(self, check_id: str, problems: list[tuple[str, str]]) -> None:
        self.check_id = check_id
        self.problems = problems
        super().__init__("; ".join(f"{k}: {m}" for k, m in problems))


@dataclass(frozen=True)
class CheckSpec:
    """A registered check."""

    id: str
    func: Callable[..., Any]
    params: type[Params] | None
    tags: tuple[str, ...] = ()
    fixtures: tuple[str, ...] = field(default=())
    timeout: float | None = None  # seconds the check may run; None: the target's or the engine's default
    needs: NeedsSpec = field(default=Needs())
    together: str | None = None  # cases of checks naming the same group share one xdist worker

    def needs_for(self, params: Params | None) -> Needs:
        """What this check needs with these (validated) parameters."""
        return self.needs(params) if callable(self.needs) else self.needs

    @property
    def title(self) -> str:
        """First line of the docstring: the sentence a report shows."""
        doc = inspect.getdoc(self.func) or ""
        return doc.strip().splitlines()[0] if doc.strip() else self.id

    @property
    def description(self) -> str:
        return inspect.getdoc(self.func) or ""

    @property
    def module(self) -> str:
        return self.func.__module__

    def validate_params(self, raw: Mapping[str, Any] | None) -> Params | None:
        """Validate `with:` parameters; raise ParamsError naming each wrong key."""
        raw = dict(raw or {})
        if self.params is None:
            if raw:
                raise ParamsError(self.id, [(k, "this check takes no parameters") for k in raw])
            return None
        try:
            return self.params.model_validate(raw)
        except ValidationError as exc:
            problems = []
            known = list(self.params.model_fields)
            for err in exc.errors():
                key = ".".join(str(p) for p in err["loc"]) or "with"
                msg = err["msg"]
                if err["type"] == "extra_forbidden":
                    close = difflib.get_close_matches(str(err["loc"][0]), known, n=1)
                    msg = "unknown parameter" + (
                        f" (did you mean {close[0]!r}?)" if close else f"; known: {', '.join(known)}"
                    )
                problems.append((key, msg))
            raise ParamsError(self.id, problems) from None

    def describe_params(self) -> dict[str, Any]:
        return self.params.model_json_schema() if self.params else {}


class Registry:
    """Checks by id, loaded lazily from the suites."""

    def __init__(self) -> None:
        self._checks: dict[str, CheckSpec] = {}
        self._loaded = False
        self._groups: set[tuple[str, str]] = set()  # (domain, group) whose modules were imported
        self.load_errors: dict[str, str] = {}

    def register(self, spec: CheckSpec) -> None:
        if not CHECK_ID.match(spec.id):
            raise ValueError(f"check id {spec.id!r} must be dotted lowercase, e.g. 'security.tls.minimum_version'")
        old = self._checks.get(spec.id)
        if old is not None and (old.module, old.func.__qualname__) != (spec.module, spec.func.__qualname__):
            raise ValueError(f"check id {spec.id!r} is registered twice: {old.module} and {spec.module}")
        self._checks[spec.id] = spec

    def load(self) -> None:
        """Import every suite module once (errors are kept, not raised)."""
        if self._loaded:
            return
        self._loaded = True
        self._import(_suite_modules())

    def _import(self, names: list[str]) -> None:
        for name in names:
            try:
                importlib.import_module(name)
            except Exception as exc:  # a broken suite must not hide the others
                self.load_errors[name] = "".join(traceback.format_exception_only(type(exc), exc)).strip()

    def _find(self, check_id: str) -> CheckSpec | None:
        """The check, its group's modules imported first if need be, every suite's if that
        does not find it (see the module docstring)."""
        spec = self._checks.get(check_id)
        if spec is not None or self._loaded:
            return spec
        parts = check_id.split(".")
        if CHECK_ID.match(check_id) and len(parts) >= 3 and (parts[0], parts[1]) not in self._groups:
            self._groups.add((parts[0], parts[1]))
            self._import(_suite_modules(group=(parts[0], parts[1])))
            spec = self._checks.get(check_id)
            if spec is not None:
                return spec
        self.load()
        return self._checks.get(check_id)

    def get(self, check_id: str) -> CheckSpec:
        spec = self._find(check_id)
        if spec is None:
            close = difflib.get_close_matches(check_id, list(self._checks), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise KeyError(f"unknown check {check_id!r}{hint}")
        return spec

    def __contains__(self, check_id: object) -> bool:
        return isinstance(check_id, str) and self._find(check_id) is not None

    def __iter__(self) -> Iterator[CheckSpec]:
        self.load()
        return iter(sorted(self._checks.values(), key=lambda s: s.id))

    def __len__(self) -> int:
        self.load()
        return len(self._checks)


def _suite_modules(group: tuple[str, str] | None = None) -> list[str]:
    """Modules to import, found on disk without importing any: see the module docstring.
    With `group` (domain, group): that group's check modules and its domain's fixtures only."""
    names: list[str] = []
    try:
        suites = importlib.import_module("homolog.suites")
    except ImportError:
        suites = None
    if suites is not None:
        for domain in [group[0]] if group else _packages(suites.__path__):
            folders = [os.path.join(root, domain) for root in suites.__path__]
            prefix = f"homolog.suites.{domain}."
            for info in pkgutil.iter_modules(folders, prefix):
                if not info.ispkg and info.name == prefix + "fixtures":
                    names.append(info.name)
            for name in [group[1]] if group else _packages(folders):
                group_folders = [os.path.join(folder, name) for folder in folders]
                names += [info.name for info in pkgutil.iter_modules(group_folders, f"{prefix}{name}.")]
    if group is None:
        names += [ep.value for ep in entry_points(group="homolog.suites")]
    return names


def _packages(folders: Iterable[str]) -> list[str]:
    return sorted({info.name for info in pkgutil.iter_modules(list(folders)) if info.ispkg})


registry = Registry()


def check(
    check_id: str,
    *,
    params: type[Params] | None = None,
    tags: tuple[str, ...] = (),
    timeout: float | None = None,
    needs: NeedsSpec = Needs(),
    together: str | None = None,
) -> Callable[[F], F]:
    """Register the decorated function as the check `check_id`.

    `timeout`: seconds the check may run before it is stopped with verdict `error`
    (default `homolog.deadlines.DEFAULT_CHECK_TIMEOUT`; a target may change it under
    `timeouts:`). Give one to a check that legitimately takes longer, e.g. one that waits
    for a session to expire.

    `needs` says which base URLs, auths, pages and data the check needs the target to
    declare, and whether it writes (`Needs`), or computes that from its parameters.

    `together`: a group name for checks whose cases reuse work a process keeps (the UI
    suite's page audits and keyboard walks, made once per process): in a run with xdist
    workers, the cases of every check naming the group go to one worker, which does that
    work once instead of each worker doing it again.
    """
    if timeout is not None and not (isinstance(timeout, int | float) and timeout > 0):
        raise ValueError(f"check {check_id!r}: timeout must be a positive number of seconds, not {timeout!r}")

    def decorate(func: F) -> F:
        if not (inspect.getdoc(func) or "").strip():
            raise ValueError(f"check {check_id!r} needs a docstring: its first line is the report sentence")
        args = tuple(inspect.signature(func).parameters)
        if params is not None and not (isinstance(params, type) and issubclass(params, Params)):
            raise TypeError(f"check {check_id!r}: params must be a homolog.Params subclass")
        registry.register(
            CheckSpec(
                check_id,
                func,
                params,
                tuple(tags),
                args,
                timeout=float(timeout) if timeout else None,
                needs=needs,
                together=together,
            )
        )
        func.__homolog_check__ = check_id  # type: ignore[attr-defined]
        return func

    return decorate
