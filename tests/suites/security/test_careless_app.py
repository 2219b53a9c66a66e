"""Failing side of the header and access-control checks the reference SUT always passes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from homolog.counterparts.psc import PscSimulator, declare_simulator

from .helpers import run_checks
from .tlsserver import make_pki
from .webserver import careless_app, careless_target


def test_permissive_headers_and_open_resources_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOMOLOG_TEST_TOKEN", "test-token-value")
    monkeypatch.setenv("HOMOLOG_TEST_PASSWORD", "test-password-value")
    ca, cert, key = make_pki(tmp_path / "pki")
    headers = {
        "Strict-Transport-Security": "max-age=600",
        "Content-Security-Policy": "default-src *; script-src 'self' 'unsafe-inline'",
        "Referrer-Policy": "unsafe-url",
        "X-Powered-By": "PHP/5.4.1",
    }
    checks = [
        "security.headers.hsts",
        "security.headers.csp",
        "security.headers.nosniff",
        "security.headers.frame_protection",
        "security.headers.referrer_policy",
        "security.headers.error_disclosure",
        "security.auth.fhir_requires_token",
        "security.auth.web_requires_session",
    ]
    with careless_app(cert, key, headers) as port:
        target = careless_target(tmp_path, port, ca)
        params = {"security.headers.error_disclosure": {"probes": [{"path": "/nope"}]}}
        verdicts = run_checks([(c, params.get(c, {})) for c in checks], target, tmp_path)
    assert {c: v for c, (v, _) in verdicts.items()} == dict.fromkeys(checks, "failed"), verdicts
    assert "max-age=600" in (verdicts["security.headers.hsts"][1] or "")
    assert "'unsafe-inline'" in (verdicts["security.headers.csp"][1] or "")
    assert "x-powered-by" in (verdicts["security.headers.error_disclosure"][1] or "")


@pytest.mark.browser
def test_careless_psc_relying_party_fails_the_psc_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOMOLOG_TEST_TOKEN", "test-token-value")
    monkeypatch.setenv("HOMOLOG_TEST_PASSWORD", "test-password-value")
    ca, cert, key = make_pki(tmp_path / "pki")
    checks: list[tuple[str, dict[str, Any]]] = [
        ("security.psc.acr_eidas1", {}),
        ("security.psc.pkce_s256", {}),
        ("security.psc.state_nonce", {}),
        ("security.psc.code_flow", {}),
        ("security.psc.subject_mapping", {}),
        ("security.psc.rejects_invalid_token", {"mode": "wrong-aud"}),
        ("security.psc.rejects_invalid_token", {"mode": "wrong-state"}),
    ]
    with PscSimulator() as psc, careless_app(cert, key, {}, issuer=psc.issuer) as port:
        target = careless_target(tmp_path, port, ca)
        declare_simulator(target, psc)
        verdicts = run_checks(checks, target, tmp_path)
    assert {k: v for k, (v, _) in verdicts.items()} == dict.fromkeys(verdicts, "failed"), verdicts
    assert len(verdicts) == len(checks)
    assert "without redeeming" in (verdicts["security.psc.rejects_invalid_token[wrong-aud]"][1] or "")
    assert "Mallory" in (verdicts["security.psc.subject_mapping"][1] or "")
