"""Reading a finished run directory (format ``homolog.run/1``) for the reporters.

Reports are pure functions of a run directory: this module is the only place that
opens ``run.json`` for them. It checks the structure a report relies on and raises
:class:`ReportError` naming the file and the key when the run cannot be rendered.

Everything read here came, directly or not, from the system under test (messages,
evidence). The loader keeps it as data: nothing is evaluated, sizes are bounded and
evidence paths must stay inside the run directory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any

__all__ = [
    "RUN_FORMAT",
    "VERDICTS",
    "Check",
    "ReportError",
    "Requirement",
    "Run",
    "load_run",
    "localized",
    "safe_evidence_path",
]

RUN_FORMAT = "homolog.run/1"

# The vocabulary of outcomes as written in run.json; the engine owns the roll-up,
# reports only display and count them. Order = display order in summaries.
VERDICTS: tuple[str, ...] = (
    "failed",
    "error",
    "passed",
    "attested",
    "waived",
    "manual",
    "skipped",
    "not_applicable",
)

# run.json is written by the engine, but a hostile or corrupted file must not make
# the reporter allocate without bound.
MAX_RUN_JSON_BYTES = 512 * 1024 * 1024


class ReportError(ValueError):
    """A run directory cannot be rendered (missing, unreadable or invalid)."""


@dataclass(frozen=True)
class Check:
    """One executed check of a requirement, as recorded in run.json."""

    check: str
    title: str
    verdict: str
    message: str
    params: Mapping[str, Any]
    evidence: tuple[str, ...]
    duration: float | None
    started: str | None
    label: str | None = None


@dataclass(frozen=True)
class Requirement:
    """One requirement of the resolved referential with its rolled-up verdict."""

    id: str
    title: str
    text: Mapping[str, str]
    level: str
    family: str
    source: Mapping[str, Any]
    origin: str
    verdict: str
    reason: str | None
    attestation: Mapping[str, Any] | None
    waiver: Mapping[str, Any] | None
    checks: tuple[Check, ...]
    mode: str
    scenario: Mapping[str, str] | None = None

    def text_in(self, lang: str) -> str:
        """The normative text in ``lang``, falling back to French then any language."""
        for key in (lang, "fr", "en"):
            value = self.text.get(key)
            if value:
                return value
        return next(iter(self.text.values()), "")


@dataclass(frozen=True)
class Run:
    """A loaded run directory."""

    dir: Path
    data: Mapping[str, Any]
    requirements: tuple[Requirement, ...]
    raw_bytes: bytes = field(repr=False)

    @cached_property
    def resolved_dir(self) -> Path:
        """The run directory with symlinks resolved (computed once)."""
        return self.dir.resolve()

    @property
    def run_id(self) -> str:
        return str(self.data.get("run_id", ""))

    @property
    def status(self) -> str:
        return str(self.data.get("status", ""))

    @property
    def referential(self) -> Mapping[str, Any]:
        ref = self.data.get("referential")
        return ref if isinstance(ref, Mapping) else {}

    @property
    def target(self) -> Mapping[str, Any]:
        tgt = self.data.get("target")
        return tgt if isinstance(tgt, Mapping) else {}

    def family_title(self, family: str, lang: str) -> str:
        """The family's title from the referential, or "" when it declares none."""
        families = self.referential.get("families")
        if isinstance(families, Mapping):
            return localized(families.get(family), lang)
        return ""

    @property
    def tool(self) -> Mapping[str, Any]:
        tool = self.data.get("tool")
        return tool if isinstance(tool, Mapping) else {}

    def checks(self) -> Iterator[tuple[Requirement, Check]]:
        """Every (requirement, check) pair in referential order."""
        for req in self.requirements:
            for chk in req.checks:
                yield req, chk

    def verdict_counts(self) -> dict[str, int]:
        """Number of requirements per verdict (every known verdict present)."""
        counts = dict.fromkeys(VERDICTS, 0)
        for req in self.requirements:
            counts[req.verdict] = counts.get(req.verdict, 0) + 1
        return counts


def _where(index: int, key: str) -> str:
    return f"run.json: requirements[{index}].{key}"


def _str(value: Any, where: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ReportError(f"{where}: expected a string, got {type(value).__name__}")
    return value


def _mapping(value: Any, where: str) -> Mapping[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ReportError(f"{where}: expected an object or null, got {type(value).__name__}")
    return value


def _text(value: Any, where: str) -> dict[str, str] | None:
    """A language -> text mapping (missing languages may be null), or None."""
    if value is None:
        return None
    if isinstance(value, str):
        return {"fr": value}
    if not isinstance(value, Mapping) or not all(isinstance(v, str) or v is None for v in value.values()):
        raise ReportError(f"{where}: expected an object of language -> text")
    return {str(k): v for k, v in value.items() if v}


def localized(value: Any, lang: str) -> str:
    """A display string from a text that may be a string or a language mapping."""
    if isinstance(value, Mapping):
        for key in (lang, "fr", "en"):
            if isinstance(value.get(key), str) and value[key]:
                return str(value[key])
        return next((str(v) for v in value.values() if v), "")
    return "" if value is None else str(value)


def _verdict(value: Any, where: str) -> str:
    if value not in VERDICTS:
        raise ReportError(f"{where}: unknown verdict {value!r}; expected one of {', '.join(VERDICTS)}")
    return str(value)


def _check(raw: Any, where: str) -> Check:
    if not isinstance(raw, Mapping):
        raise ReportError(f"{where}: expected an object")
    evidence = raw.get("evidence") or []
    if not isinstance(evidence, list) or not all(isinstance(e, str) for e in evidence):
        raise ReportError(f"{where}.evidence: expected a list of run-relative paths")
    duration = raw.get("duration")
    if duration is not None and not isinstance(duration, int | float):
        raise ReportError(f"{where}.duration: expected a number of seconds")
    params = raw.get("params") or {}
    if not isinstance(params, Mapping):
        raise ReportError(f"{where}.params: expected an object")
    return Check(
        check=_str(raw.get("check"), f"{where}.check"),
        title=_str(raw.get("title"), f"{where}.title", required=False),
        verdict=_verdict(raw.get("verdict"), f"{where}.verdict"),
        message=_str(raw.get("message"), f"{where}.message", required=False),
        params=params,
        evidence=tuple(evidence),
        duration=float(duration) if duration is not None else None,
        started=raw.get("started") if isinstance(raw.get("started"), str) else None,
        label=raw.get("label") if isinstance(raw.get("label"), str) else None,
    )


def _mode(raw: Mapping[str, Any], checks: tuple[Check, ...], verdict: str) -> str:
    """How a requirement is covered: automated, manual (attestation) or not-tested."""
    # The engine writes "kind" (automated | manual | not_tested); "mode" is accepted too.
    declared = str(raw.get("kind") or raw.get("mode") or "").replace("_", "-")
    if declared in ("automated", "manual", "not-tested"):
        return declared
    if checks:
        return "automated"
    if raw.get("attestation") is not None or verdict in ("manual", "attested"):
        return "manual"
    return "not-tested"


def _requirement(raw: Any, index: int) -> Requirement:
    if not isinstance(raw, Mapping):
        raise ReportError(f"run.json: requirements[{index}]: expected an object")
    text = _text(raw.get("text"), _where(index, "text")) or {}
    scenario = _text(raw.get("scenario"), _where(index, "scenario"))
    checks_raw = raw.get("checks") or []
    if not isinstance(checks_raw, list):
        raise ReportError(f"{_where(index, 'checks')}: expected a list")
    checks = tuple(_check(c, _where(index, f"checks[{i}]")) for i, c in enumerate(checks_raw))
    verdict = _verdict(raw.get("verdict"), _where(index, "verdict"))
    reason = raw.get("reason")
    return Requirement(
        id=_str(raw.get("id"), _where(index, "id")),
        title=_str(raw.get("title"), _where(index, "title"), required=False),
        text=text,
        level=_str(raw.get("level"), _where(index, "level"), required=False),
        family=_str(raw.get("family"), _where(index, "family"), required=False) or "-",
        source=_mapping(raw.get("source"), _where(index, "source")) or {},
        origin=_str(raw.get("origin"), _where(index, "origin"), required=False),
        verdict=verdict,
        reason=reason if isinstance(reason, str) else None,
        attestation=_mapping(raw.get("attestation"), _where(index, "attestation")),
        waiver=_mapping(raw.get("waiver"), _where(index, "waiver")),
        checks=checks,
        mode=_mode(raw, checks, verdict),
        scenario=scenario,
    )


def load_run(run_dir: Path | str) -> Run:
    """Load and check ``run_dir/run.json``; raise :class:`ReportError` if unusable."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ReportError(f"{run_dir}: not a directory (expected a run directory)")
    path = run_dir / "run.json"
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReportError(f"{path}: cannot read run.json ({exc.strerror})") from None
    if size > MAX_RUN_JSON_BYTES:
        raise ReportError(f"{path}: {size} bytes is larger than the {MAX_RUN_JSON_BYTES} limit")
    try:
        raw_bytes = path.read_bytes()
        data = json.loads(raw_bytes)
    except OSError as exc:
        raise ReportError(f"{path}: cannot read run.json ({exc.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: expected a JSON object at the top level")
    fmt = data.get("format")
    if fmt != RUN_FORMAT:
        raise ReportError(f"{path}: format is {fmt!r}, expected {RUN_FORMAT!r} (is this a homolog run?)")
    reqs = data.get("requirements")
    if not isinstance(reqs, list):
        raise ReportError(f"{path}: 'requirements' must be a list")
    requirements = tuple(_requirement(r, i) for i, r in enumerate(reqs))
    return Run(dir=run_dir, data=data, requirements=requirements, raw_bytes=raw_bytes)


def safe_evidence_path(run: Run, relpath: str) -> Path | None:
    """The file behind a run-relative evidence path, or None if it escapes the run.

    Evidence paths in run.json are plain relative POSIX paths; anything absolute, with
    ``..``, a scheme or a backslash is refused so a report never points outside the run.
    """
    if not relpath or "\\" in relpath or ":" in relpath or "\x00" in relpath:
        return None
    pure = PurePosixPath(relpath)
    if pure.is_absolute() or any(part in ("..", "") for part in pure.parts):
        return None
    path = run.dir.joinpath(*pure.parts)
    try:
        resolved = path.resolve()
        root = run.resolved_dir
    except OSError:
        return None
    if root not in resolved.parents:
        return None
    return path
