"""Transport, HTTP hardening and authentication checks against the reference SUT.

One referential run per SUT: the clean SUT passes every check, and each defect switch
fails exactly the checks of the behaviour it breaks (all others still pass). The
issue's named defects run alone; five more run together in one SUT.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from homolog.testing import run_check, run_referential

from .helpers import run_checks, run_in_order

# (check, params): the checks that do not need a browser.
CHECKS: list[tuple[str, dict[str, Any]]] = [
    ("security.tls.minimum_version", {}),
    ("security.tls.cipher_suites", {}),
    ("security.tls.certificate_expiry", {"min_days": 30}),
    ("security.tls.certificate_validity", {}),
    ("security.tls.certificate_hostname", {}),
    ("security.tls.certificate_key_size", {}),
    ("security.tls.certificate_chain", {}),
    ("security.tls.https_redirect", {}),
    ("security.headers.hsts", {}),
    ("security.headers.csp", {}),
    ("security.headers.nosniff", {}),
    ("security.headers.frame_protection", {}),
    ("security.headers.referrer_policy", {}),
    ("security.headers.cookies", {}),
    ("security.headers.error_disclosure", {}),
    ("security.headers.cors", {}),
    ("security.auth.fhir_requires_token", {}),
    ("security.auth.web_requires_session", {}),
    ("security.auth.lockout", {"max_failures": 10}),
    ("security.auth.session_timeout", {"margin_seconds": 0.5}),
    ("security.auth.login_audit", {}),
    ("security.auth.password_policy", {"min_length": 15}),
]

DEFECT_CHECKS = {
    # Allowing TLS 1.0 also opens OpenSSL's default suites (SECLEVEL=0): both fail.
    "tls10-enabled": {"security.tls.minimum_version", "security.tls.cipher_suites"},
    "no-hsts": {"security.headers.hsts"},
    "no-lockout": {"security.auth.lockout"},
    "no-session-timeout": {"security.auth.session_timeout"},
    "stacktrace-leak": {"security.headers.error_disclosure"},
    "no-https-redirect": {"security.tls.https_redirect"},
    "no-login-audit": {"security.auth.login_audit"},
    "weak-password-policy": {"security.auth.password_policy"},
    "cookie-flags-missing": {"security.headers.cookies"},
    "cors-wildcard-credentials": {"security.headers.cors"},
}
# The named defects run alone; the other five share one SUT (each check there
# must fail, and nothing else): a SUT start and run cost seconds on a loaded machine.
COMBINED = (
    "no-https-redirect",
    "no-login-audit",
    "weak-password-policy",
    "cookie-flags-missing",
    "cors-wildcard-credentials",
)
CASES = {"clean": frozenset(), **{d: frozenset({d}) for d in DEFECT_CHECKS if d not in COMBINED}}
CASES["combined"] = frozenset(COMBINED)


@pytest.fixture(scope="module")
def matrix_referential(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ref = {
        "format": "homolog.referential/1",
        "id": "security-matrix",
        "version": "0.0.0",
        "title": "security checks, one requirement each",
        "publisher": "homolog tests",
        "date": "2026-11-22",
        "requirements": [
            {
                "id": f"SEC-{i:02d}",
                "title": check,
                "text": check,
                "level": "exigence",
                "source": {"document": "homolog tests"},
                "checks": [{"check": check, "with": params}],
            }
            for i, (check, params) in enumerate(CHECKS)
        ],
    }
    path = tmp_path_factory.mktemp("ref") / "security-matrix.yaml"
    path.write_text(yaml.safe_dump(ref, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_defect_fails_only_its_checks(
    case: str, refsut: Callable[..., Any], matrix_referential: Path, tmp_path: Path
) -> None:
    defects = CASES[case]
    expected = set().union(*(DEFECT_CHECKS[d] for d in defects)) if defects else set()
    sut = refsut(set(defects), session_timeout=1.0)
    extra: list[str] = []
    if case not in ("clean", "no-session-timeout"):
        # The one check that must wait: its own defect and the clean SUT show both sides.
        extra = ["-k", "not session_timeout"]
    run = run_referential(matrix_referential, sut.target_path, tmp_path / "run", extra_args=extra)
    verdicts = {
        r["checks"][0]["check"]: (r["checks"][0]["verdict"], r["checks"][0].get("message")) for r in run["requirements"]
    }
    assert len(verdicts) == len(CHECKS)
    if extra:
        # deselected by -k: not run, no verdict (issue 15.5)
        assert verdicts.pop("security.auth.session_timeout")[0] is None
    failed = {c for c, (v, _) in verdicts.items() if v == "failed"}
    others = {c: vm for c, vm in verdicts.items() if vm[0] not in ("passed", "failed")}
    assert not others, f"undecided checks: {others}"
    assert failed == expected, {c: verdicts[c] for c in failed ^ expected}


def test_lockout_account_already_locked_is_an_error(refsut: Callable[..., Any], tmp_path: Path) -> None:
    sut = refsut(lockout_threshold=3)
    lockout = "security.auth.lockout"
    first, again, stricter = run_in_order(
        [(lockout, {}), (lockout, {}), (lockout, {"max_failures": 2})], sut.target_path, tmp_path, name="one-run"
    )
    assert first["verdict"] == "passed"
    # Same run: the observation is reused for a limit that is not lower ...
    assert again["verdict"] == "passed"
    assert stricter["verdict"] == "error" and "cannot be measured again" in (stricter["message"] or "")
    # ... but an account found locked with no such observation (another run) cannot be judged.
    fresh = run_check("security.auth.lockout", sut.target_path, tmp_path=tmp_path)
    assert fresh.verdict == "error" and "already locked" in (fresh.message or "")


def test_password_policy_twice_on_one_sut(refsut: Callable[..., Any], tmp_path: Path) -> None:
    sut = refsut()
    checks = [("security.auth.password_policy", {"min_length": n}) for n in (15, 12)]
    results = run_in_order(checks, sut.target_path, tmp_path, name="twice")
    assert [r["verdict"] for r in results] == ["passed", "passed"], [r["message"] for r in results]


def test_session_timeout_undeclared_is_an_error(refsut: Callable[..., Any], tmp_path: Path) -> None:
    sut = refsut()
    doc = yaml.safe_load(sut.target_path.read_text("utf-8"))
    del doc["settings"]["security"]["session_timeout_seconds"]
    sut.target_path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    res = run_check("security.auth.session_timeout", sut.target_path, tmp_path=tmp_path)
    assert res.verdict == "error" and "session_timeout_seconds" in (res.message or "")


def test_closed_ports_are_errors_never_passes(refsut: Callable[..., Any], tmp_path: Path) -> None:
    sut = refsut()
    target = sut.target_path
    sut.stop()  # both servers gone: every transport-level question is unanswerable
    checks = [
        "security.tls.minimum_version",
        "security.tls.cipher_suites",
        "security.tls.certificate_chain",
        "security.tls.https_redirect",
        "security.headers.hsts",
        "security.auth.lockout",
        "security.auth.login_audit",
    ]
    verdicts = run_checks([(c, {}) for c in checks], target, tmp_path, name="closed")
    assert {c: v for c, (v, _) in verdicts.items()} == dict.fromkeys(checks, "error"), verdicts
