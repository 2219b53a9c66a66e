"""A finished run directory as reporters see it: the run document plus its folder.

Reports are pure functions of a run directory. The run document is read by the
engine's one reader (:func:`homolog.runfile.read_run_bytes`), checked against the
published schema and typed; this module only adds what reports need around it (the
folder, the exact bytes, safe evidence paths) and turns a refusal into
:class:`ReportError` naming the file and the key.

Everything read here came, directly or not, from the system under test (messages,
evidence). It stays data: nothing is evaluated, sizes are bounded and evidence paths
must stay inside the run directory.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any

from homolog.runfile import (
    ReferentialInfo,
    RunCheck,
    RunDocument,
    RunFormatError,
    RunRequirement,
    TargetInfo,
    read_run_bytes,
)
from homolog.verdicts import DISPLAY_ORDER

__all__ = [
    "Check",
    "ReportError",
    "Requirement",
    "Run",
    "load_run",
    "localized",
    "safe_evidence_path",
]

#: A check of a requirement and a requirement of the run, as the run format types them.
Check = RunCheck
Requirement = RunRequirement


class ReportError(ValueError):
    """A run directory cannot be rendered (missing, unreadable or invalid)."""


@dataclass(frozen=True)
class Run:
    """A loaded run directory."""

    dir: Path
    doc: RunDocument
    raw_bytes: bytes = field(repr=False)

    @cached_property
    def resolved_dir(self) -> Path:
        """The run directory with symlinks resolved (computed once)."""
        return self.dir.resolve()

    @property
    def requirements(self) -> tuple[Requirement, ...]:
        """Every requirement of the referential, in order (deselected ones included)."""
        return self.doc.requirements

    @property
    def decided(self) -> tuple[Requirement, ...]:
        """The requirements that have a verdict."""
        return self.doc.decided

    @property
    def deselected(self) -> tuple[Requirement, ...]:
        """The requirements this session did not run (left out with -k or -m)."""
        return self.doc.deselected

    @property
    def run_id(self) -> str:
        return self.doc.run_id or ""

    @property
    def status(self) -> str:
        return self.doc.status.value

    @property
    def started(self) -> str:
        return self.doc.started or ""

    @property
    def finished(self) -> str:
        return self.doc.finished

    @property
    def referential(self) -> ReferentialInfo:
        """The referential the run verified."""
        return self.doc.referential

    @property
    def target(self) -> TargetInfo:
        """The system under test, as its target file described it."""
        return self.doc.target

    @property
    def tool(self) -> Mapping[str, str]:
        return self.doc.tool

    def family_title(self, family: str, lang: str) -> str:
        """The family's title from the referential, or "" when it declares none."""
        return self.doc.referential.family_title(family, lang)

    def checks(self) -> Iterator[tuple[Requirement, Check]]:
        """Every (requirement, check) pair that ran, in referential order."""
        for req in self.requirements:
            for chk in req.checks:
                if chk.verdict is not None:
                    yield req, chk

    def verdict_counts(self) -> dict[str, int]:
        """Number of requirements per verdict, in display order (deselected ones not counted)."""
        counts = self.doc.summary.requirements
        return {v.value: counts.get(v.value, 0) for v in DISPLAY_ORDER}


def localized(value: Any, lang: str) -> str:
    """A display string from a text that may be a string or a language mapping."""
    if isinstance(value, Mapping):
        for key in (lang, "fr", "en"):
            if isinstance(value.get(key), str) and value[key]:
                return str(value[key])
        return next((str(v) for v in value.values() if v), "")
    return "" if value is None else str(value)


def load_run(run_dir: Path | str) -> Run:
    """Load and check ``run_dir/run.json``; raise :class:`ReportError` if unusable."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ReportError(f"{run_dir}: not a directory (expected a run directory)")
    try:
        doc, raw = read_run_bytes(run_dir)
    except RunFormatError as exc:
        raise ReportError(str(exc)) from None
    return Run(dir=run_dir, doc=doc, raw_bytes=raw)


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
