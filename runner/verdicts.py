"""The one vocabulary of outcomes, its precedence and its roll-up.

A check ends with one of `passed`, `failed`, `error`, `skipped`. A requirement also
knows `not_applicable` (excluded by the target's declared options), `manual`
(awaiting an attestation), `attested` (attestation reviewed) and `waived` (a failure
with an approved, unexpired waiver).

Roll-up, worst first (the first verdict in PRECEDENCE present among the parts wins):

    failed > error > skipped > manual > waived > attested > passed > not_applicable

`error` is never counted as compliance: it means "could not decide".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from enum import IntEnum, StrEnum

__all__ = [
    "PRECEDENCE",
    "ExitCode",
    "RunStatus",
    "Verdict",
    "exit_code",
    "roll_up",
    "run_status",
    "summarise",
]


class Verdict(StrEnum):
    """Outcome of a check or a requirement."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    NOT_APPLICABLE = "not_applicable"
    MANUAL = "manual"
    ATTESTED = "attested"
    WAIVED = "waived"

    @property
    def compliant(self) -> bool:
        """True when this verdict counts towards compliance."""
        return self in _COMPLIANT

    @property
    def decided(self) -> bool:
        """True when nothing is left to do for this verdict."""
        return self not in _UNDECIDED


PRECEDENCE: tuple[Verdict, ...] = (
    Verdict.FAILED,
    Verdict.ERROR,
    Verdict.SKIPPED,
    Verdict.MANUAL,
    Verdict.WAIVED,
    Verdict.ATTESTED,
    Verdict.PASSED,
    Verdict.NOT_APPLICABLE,
)
_RANK = {v: i for i, v in enumerate(PRECEDENCE)}
_COMPLIANT = frozenset({Verdict.PASSED, Verdict.ATTESTED, Verdict.WAIVED, Verdict.NOT_APPLICABLE})
_UNDECIDED = frozenset({Verdict.ERROR, Verdict.SKIPPED, Verdict.MANUAL})


def roll_up(verdicts: Iterable[Verdict | str]) -> Verdict:
    """Combine the verdicts of parts into the verdict of the whole (worst wins).

    An empty collection cannot be decided and rolls up to `error`.
    """
    parts = [Verdict(v) for v in verdicts]
    if not parts:
        return Verdict.ERROR
    return min(parts, key=_RANK.__getitem__)


class RunStatus(StrEnum):
    """Status of a whole run against its referential."""

    COMPLIANT = "compliant"
    NON_COMPLIANT = "non_compliant"
    INCOMPLETE = "incomplete"


def run_status(requirement_verdicts: Iterable[Verdict | str]) -> RunStatus:
    """Any failure makes the run non-compliant; anything undecided makes it incomplete."""
    parts = {Verdict(v) for v in requirement_verdicts}
    if Verdict.FAILED in parts:
        return RunStatus.NON_COMPLIANT
    if parts & _UNDECIDED:
        return RunStatus.INCOMPLETE
    return RunStatus.COMPLIANT


class ExitCode(IntEnum):
    """Exit codes of the `homolog` command (InSpec's 100/101 convention)."""

    COMPLIANT = 0
    USAGE = 1
    HARNESS = 2
    NON_COMPLIANT = 100
    INCOMPLETE = 101


def exit_code(status: RunStatus | str) -> ExitCode:
    """Map a run status to the process exit code."""
    return {
        RunStatus.COMPLIANT: ExitCode.COMPLIANT,
        RunStatus.NON_COMPLIANT: ExitCode.NON_COMPLIANT,
        RunStatus.INCOMPLETE: ExitCode.INCOMPLETE,
    }[RunStatus(status)]


def summarise(verdicts: Iterable[Verdict | str]) -> dict[str, int]:
    """Count verdicts, every verdict present as a key (zero included), in precedence order."""
    counts = Counter(Verdict(v) for v in verdicts)
    return {v.value: counts.get(v, 0) for v in PRECEDENCE}
