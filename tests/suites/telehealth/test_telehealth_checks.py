"""Telehealth checks against the reference system's telemonitoring area: clean, then each defect.

Chromium logs the patient in through the patient identity provider (a real OpenID Connect
server on 127.0.0.1) and the professional through the password form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from homolog.counterparts import declare
from homolog.counterparts.patient_idp import PatientIdpSimulator
from homolog.testing import run_check

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RunChecks = Callable[..., dict[str, dict[str, Any]]]

LOGIN = ["telehealth.patient.login_level", "telehealth.patient.refuses_low_level"]
EXPORT = ["telehealth.portability.export_fr_core", "telehealth.portability.export_complete"]
ACK = ["telehealth.alerts.ack_traced"]

# defect -> (the checks run, those that must fail); the others run must pass, which shows
# the defect stays confined to what it breaks.
CASES: dict[str, tuple[list[str], set[str]]] = {
    "clean": ([*LOGIN, *EXPORT, *ACK], set()),
    "tlm-patient-login-low-level": ([*LOGIN, EXPORT[0]], set(LOGIN)),
    "tlm-export-not-frcore": (EXPORT, {EXPORT[0]}),
    "tlm-export-incomplete": (EXPORT, {EXPORT[1]}),
    "tlm-alert-ack-untraced": ([*ACK, LOGIN[0]], set(ACK)),
}


@pytest.fixture
def idp() -> Iterator[PatientIdpSimulator]:
    with PatientIdpSimulator() as sim:
        yield sim


def _start(refsut: Callable[..., Any], idp: PatientIdpSimulator, defects: set[str]) -> Any:
    # no check here verifies a session's expiry: the reference system's 3-s timeout (the
    # demo's) is made long, so that a loaded machine does not end a session inside a check
    sut = refsut(defects, patient_oidc_issuer=idp.url, session_timeout=300.0)
    declare(sut.target_path, "patient_idp", idp)
    return sut


@pytest.mark.parametrize("defect", sorted(CASES))
def test_telehealth_defects_fail_only_their_checks(
    defect: str, refsut: Callable[..., Any], idp: PatientIdpSimulator, run_checks: RunChecks
) -> None:
    checks, expected = CASES[defect]
    sut = _start(refsut, idp, set() if defect == "clean" else {defect})
    results = run_checks(checks, sut.target_path)
    verdicts = {c: (r["verdict"], r.get("message")) for c, r in results.items()}
    assert {c for c, (v, _) in verdicts.items() if v == "failed"} == expected, verdicts
    assert {c for c, (v, _) in verdicts.items() if v == "passed"} == set(checks) - expected, verdicts


def test_failures_say_what_is_wrong(
    refsut: Callable[..., Any], idp: PatientIdpSimulator, run_checks: RunChecks
) -> None:
    sut = _start(refsut, idp, {"tlm-export-incomplete", "tlm-alert-ack-untraced"})
    results = run_checks([EXPORT[1], *ACK], sut.target_path)
    assert "2026-11-27T07:30:00+01:00" in results[EXPORT[1]]["message"]  # the measurement left out
    assert "no AuditEvent names Flag/alert-m3" in results[ACK[0]]["message"]


def test_without_the_provider_declared_the_login_checks_cannot_decide(
    refsut: Callable[..., Any], idp: PatientIdpSimulator, tmp_path: Path
) -> None:
    sut = refsut(patient_oidc_issuer=idp.url)  # configured, but not recorded in the target
    res = run_check("telehealth.patient.login_level", sut.target_path, tmp_path=tmp_path)
    assert res.verdict == "error" and "settings.telehealth.patient_idp" in (res.message or "")


def test_a_provider_that_cannot_reach_the_level_leaves_the_login_check_undecided(
    refsut: Callable[..., Any], tmp_path: Path
) -> None:
    # A provider capped at eidas1 never grants the level asked: the SUT rightly keeps the
    # space closed, which says nothing of whether it admits a patient at the right level.
    with PatientIdpSimulator(max_acr="eidas1") as weak:
        sut = _start(refsut, weak, set())
        level = run_check("telehealth.patient.login_level", sut.target_path, tmp_path=tmp_path)
    assert level.verdict == "error" and "below the eidas2 asked" in (level.message or "")


def test_alert_audit_setting_missing_is_an_error(
    refsut: Callable[..., Any], idp: PatientIdpSimulator, tmp_path: Path
) -> None:
    sut = _start(refsut, idp, set())
    doc = yaml.safe_load(sut.target_path.read_text("utf-8"))
    del doc["settings"]["telehealth"]["alert_audit"]
    sut.target_path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    res = run_check("telehealth.alerts.ack_traced", sut.target_path, tmp_path=tmp_path)
    assert res.verdict == "error" and "alert_audit.entity" in (res.message or "")


def test_a_session_lapsing_at_the_acknowledgement_is_logged_in_again(
    refsut: Callable[..., Any], tmp_path: Path, session_lapse: Callable[..., list[str]]
) -> None:
    """An acknowledgement that lands on the login page was never made: the check logs in again
    and acknowledges, instead of failing for want of an AuditEvent."""
    lapsed = session_lapse("/ack", 1)
    # the system's own timeout long enough that a loaded machine adds no lapse of its own
    res = run_check(ACK[0], refsut(session_timeout=300.0).target_path, tmp_path=tmp_path)
    assert lapsed
    assert res.verdict == "passed", res.message
    assert any(p.name.endswith("session-lapsed.txt") for p in res.evidence)
