"""The one vocabulary of outcomes, its precedence and its roll-up.

A check ends with one of `passed`, `failed`, `error`, `skipped`. A requirement also
knows `not_applicable` (excluded by the target's declared options), `manual`
(awaiting an attestation), `attested` (attestation reviewed) and `waived` (a failure
with an approved, unexpired waiver).

Roll-up, worst first (the first verdict in PRECEDENCE present among the parts wins):

    failed > error > skipped > manual > waived > attested > passed > not_applicable

`error` is never counted as compliance: it means "could not decide".

A part of a run the user left out (pytest `-k`, `-m`) has no verdict at all: it is
*not run*, shown as `DESELECTED`, and counted nowhere. Reports take every word, order
and rank from this module (stdlib only, so anything may import it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from enum import IntEnum, StrEnum

__all__ = [
    "CHECK_VERDICTS",
    "DESELECTED",
    "DISPLAY_ORDER",
    "PRECEDENCE",
    "SETTLED",
    "ExitCode",
    "RunStatus",
    "Verdict",
    "exit_code",
    "roll_up",
    "run_status",
    "severity",
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

#: Outcomes a single check can end with (the others belong to requirements).
CHECK_VERDICTS: tuple[Verdict, ...] = (Verdict.PASSED, Verdict.FAILED, Verdict.ERROR, Verdict.SKIPPED)

#: Order in which summaries list verdicts: what needs attention first, then what is settled.
DISPLAY_ORDER: tuple[Verdict, ...] = (
    Verdict.FAILED,
    Verdict.ERROR,
    Verdict.PASSED,
    Verdict.ATTESTED,
    Verdict.WAIVED,
    Verdict.MANUAL,
    Verdict.SKIPPED,
    Verdict.NOT_APPLICABLE,
)

#: Verdicts that settle a requirement in the system's favour without a failure.
SETTLED: frozenset[Verdict] = frozenset({Verdict.ATTESTED, Verdict.PASSED, Verdict.NOT_APPLICABLE})

#: What reports show for a requirement or check the user deselected: not a verdict.
DESELECTED = "deselected"
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


def severity(verdict: Verdict | str) -> int:
    """How bad a verdict is, for comparing two runs: higher is worse.

    The precedence order, except that `attested`, `passed` and `not_applicable` weigh the
    same: each settles the requirement in the system's favour without a failure, so a
    move between them (a requirement becoming applicable, an automated proof replaced by
    an attestation) is a change, neither a regression nor a fix.
    """
    rank = _RANK[Verdict(verdict)]
    return len(PRECEDENCE) - min(rank, *(_RANK[v] for v in SETTLED))


class RunStatus(StrEnum):
    """Status of a whole run against its referential."""

    COMPLIANT = "compliant"
    NON_COMPLIANT = "non_compliant"
    INCOMPLETE = "incomplete"


def run_status(requirement_verdicts: Iterable[Verdict | str], *, complete: bool = True) -> RunStatus:
    """Any failure makes the run non-compliant; anything undecided makes it incomplete.

    `complete=False` says some requirements were not run at all (deselected): without
    a failure, such a run is incomplete, whatever the verdicts of the others.
    """
    parts = {Verdict(v) for v in requirement_verdicts}
    if Verdict.FAILED in parts:
        return RunStatus.NON_COMPLIANT
    if parts & _UNDECIDED or not complete:
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
