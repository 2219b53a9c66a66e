from __future__ import annotations

import pytest

from homolog.verdicts import PRECEDENCE, ExitCode, RunStatus, Verdict, exit_code, roll_up, run_status, summarise


def test_every_verdict_has_a_rank() -> None:
    assert set(PRECEDENCE) == set(Verdict)


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (["passed", "passed"], "passed"),
        (["passed", "failed"], "failed"),
        (["error", "passed"], "error"),
        (["failed", "error"], "failed"),
        (["skipped", "passed"], "skipped"),
        (["not_applicable", "passed"], "passed"),
        (["not_applicable"], "not_applicable"),
        (["manual", "passed"], "manual"),
        (["attested", "passed"], "attested"),
        (["waived", "attested"], "waived"),
    ],
)
def test_roll_up_worst_wins(parts: list[str], expected: str) -> None:
    assert roll_up(parts) == expected


def test_nothing_to_roll_up_is_undecided() -> None:
    assert roll_up([]) == Verdict.ERROR


@pytest.mark.parametrize(
    ("verdicts", "status", "code"),
    [
        (["passed", "attested", "waived", "not_applicable"], RunStatus.COMPLIANT, ExitCode.COMPLIANT),
        (["passed", "failed", "manual"], RunStatus.NON_COMPLIANT, ExitCode.NON_COMPLIANT),
        (["passed", "error"], RunStatus.INCOMPLETE, ExitCode.INCOMPLETE),
        (["passed", "manual"], RunStatus.INCOMPLETE, ExitCode.INCOMPLETE),
        (["passed", "skipped"], RunStatus.INCOMPLETE, ExitCode.INCOMPLETE),
    ],
)
def test_run_status_and_exit_code(verdicts: list[str], status: RunStatus, code: ExitCode) -> None:
    assert run_status(verdicts) == status
    assert exit_code(status) == code


def test_error_never_counts_as_compliance() -> None:
    assert not Verdict.ERROR.compliant
    assert Verdict.WAIVED.compliant


def test_summarise_counts_every_verdict() -> None:
    counts = summarise(["passed", "passed", "failed"])
    assert counts["passed"] == 2 and counts["failed"] == 1 and counts["manual"] == 0
    assert list(counts) == [v.value for v in PRECEDENCE]


def test_display_order_and_check_verdicts_are_the_engine_vocabulary() -> None:
    from homolog.verdicts import CHECK_VERDICTS, DESELECTED, DISPLAY_ORDER

    assert sorted(DISPLAY_ORDER) == sorted(Verdict)
    assert set(CHECK_VERDICTS) == {Verdict.PASSED, Verdict.FAILED, Verdict.ERROR, Verdict.SKIPPED}
    assert DESELECTED not in {v.value for v in Verdict}  # not run is not a verdict


@pytest.mark.parametrize(
    ("before", "after", "direction"),
    [
        ("passed", "failed", "worse"),
        ("error", "failed", "worse"),  # incomplete -> non-compliant
        ("failed", "error", "better"),
        ("not_applicable", "error", "worse"),
        ("waived", "failed", "worse"),
        ("passed", "waived", "worse"),
        ("manual", "skipped", "worse"),
        ("passed", "attested", "same"),  # both settle the requirement without a failure
        ("not_applicable", "passed", "same"),
    ],
)
def test_severity_follows_precedence_with_settled_verdicts_equal(before: str, after: str, direction: str) -> None:
    from homolog.verdicts import severity

    got = (severity(after) > severity(before)) - (severity(after) < severity(before))
    assert got == {"worse": 1, "better": -1, "same": 0}[direction]


def test_a_run_with_requirements_not_run_is_never_compliant() -> None:
    assert run_status(["passed"], complete=False) == RunStatus.INCOMPLETE
    assert run_status(["passed", "failed"], complete=False) == RunStatus.NON_COMPLIANT
    assert run_status([], complete=False) == RunStatus.INCOMPLETE
