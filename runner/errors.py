"""Exceptions of homolog.

HomologError                    base of everything homolog raises on purpose
├── ConfigError                 a user's file or argument is wrong (exit 1, no traceback)
│   ├── ReferentialError        a referential file (file, line, key, suggestion)
│   └── TargetError             a target file
├── RunError                    a run directory cannot be used (resume, report)
└── CheckOutcome                raised inside a check to end it with a verdict
    ├── CheckFailed             the SUT does not meet the requirement  -> failed
    └── CheckError              the check could not decide             -> error
        └── HttpError           transport: timeout, refused, too large, redirect out of scope
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

__all__ = [
    "CheckError",
    "CheckFailed",
    "CheckOutcome",
    "ConfigError",
    "HomologError",
    "HttpError",
    "Problem",
    "ReferentialError",
    "RunError",
    "TargetError",
    "error",
    "fail",
]


class HomologError(Exception):
    """Base class of homolog's own exceptions."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a user's file: where it is and what to do about it."""

    file: Path | None
    line: int | None
    key: str
    message: str
    suggestion: str | None = None

    def __str__(self) -> str:
        where = str(self.file) if self.file else ("<input>" if self.line is not None else "")
        if self.line is not None:
            where += f":{self.line}"
        text = f"{self.key}: {self.message}" if self.key else self.message
        if where:
            text = f"{where}: {text}"
        if self.suggestion:
            text += f" (did you mean {self.suggestion!r}?)"
        return text


class ConfigError(HomologError):
    """A user's file or argument is wrong; carries every problem found."""

    def __init__(self, problems: list[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(None, None, "", problems)]
        self.problems: list[Problem] = problems
        super().__init__("\n".join(str(p) for p in problems))


class ReferentialError(ConfigError):
    """A referential is invalid or cannot be found."""


class TargetError(ConfigError):
    """A target file is invalid."""


class RunError(HomologError):
    """A run directory is missing, damaged or inconsistent with the request."""


class CheckOutcome(HomologError):
    """Raised inside a check to end it with a verdict other than `passed`."""

    verdict: str = "error"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class CheckFailed(CheckOutcome, AssertionError):
    """The system under test does not meet the requirement."""

    verdict = "failed"


class CheckError(CheckOutcome):
    """The check could not decide (SUT unreachable, missing data, harness fault)."""

    verdict = "error"


class HttpError(CheckError):
    """A transport problem talking to the SUT: the check cannot decide."""


def fail(message: str, *, details: Any = None) -> NoReturn:
    """End the running check with verdict `failed`."""
    raise CheckFailed(message, details=details)


def error(message: str, *, details: Any = None) -> NoReturn:
    """End the running check with verdict `error` (could not decide)."""
    raise CheckError(message, details=details)
