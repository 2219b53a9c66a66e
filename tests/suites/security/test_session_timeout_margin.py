"""The session-timeout check's grace after the declared timeout: referential, target, default.

The target may declare how late its timer ends a session
(``settings.security.session_timeout_margin_seconds``), up to the 2 s default: it can only
shorten the wait, which makes the check stricter. The reference system declares 0.5 s.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from homolog import CheckError, Target
from homolog.suites.security.auth.session_timeout import DEFAULT_MARGIN_SECONDS, TimeoutParams, idle_margin
from homolog.testing import run_check


def _target(security: dict[str, Any]) -> Target:
    return Target(path=None, raw={"settings": {"security": security}})


def test_margin_default_target_and_referential() -> None:
    assert idle_margin(_target({}), TimeoutParams()) == DEFAULT_MARGIN_SECONDS == 2.0
    assert idle_margin(_target({"session_timeout_margin_seconds": 0.5}), TimeoutParams()) == 0.5
    assert idle_margin(_target({"session_timeout_margin_seconds": 0}), TimeoutParams()) == 0.0
    # A value the referential sets wins over the target's.
    assert idle_margin(_target({"session_timeout_margin_seconds": 0.5}), TimeoutParams(margin_seconds=3)) == 3.0


@pytest.mark.parametrize("bad", [2.5, -1, True, "1", [1]])
def test_target_margin_cannot_lengthen_the_wait(bad: Any) -> None:
    with pytest.raises(CheckError, match="session_timeout_margin_seconds"):
        idle_margin(_target({"session_timeout_margin_seconds": bad}), TimeoutParams())


@pytest.mark.slow
def test_reference_target_margin_is_used_and_still_catches_the_defect(
    refsut: Callable[..., Any], tmp_path: Path
) -> None:
    """No margin in the referential: the reference target's 0.5 s is waited (1 s + 0.5 s
    idle, named in the failure), the clean system passes with it and the defect fails."""
    clean = run_check("security.auth.session_timeout", refsut(session_timeout=1.0).target_path, tmp_path=tmp_path)
    assert clean.verdict == "passed", clean.message
    broken = refsut({"no-session-timeout"}, session_timeout=1.0)
    failed = run_check("security.auth.session_timeout", broken.target_path, tmp_path=tmp_path)
    assert failed.verdict == "failed"
    assert "after 1.5s idle" in (failed.message or ""), failed.message
