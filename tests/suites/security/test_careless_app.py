"""Failing side of the header and access-control checks the reference SUT always passes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from homolog.counterparts.psc import PscSimulator, declare_simulator

from .helpers import run_checks, run_in_order
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


# Header fields as applications and their proxies send them, each its own field, read
# the way browsers read them: the first Strict-Transport-Security field, the last
# Referrer-Policy a browser knows, X-Frame-Options ignored beside CSP frame-ancestors.
# A `lang` cookie without any attribute is set on every answer; it holds no session.
HEADER_FIELDS = {
    "read-as-browsers-do-protected": [
        ("Strict-Transport-Security", "max-age=31536000"),
        ("Strict-Transport-Security", "max-age=600"),
        ("Content-Security-Policy", "default-src 'self'; object-src 'none'"),
        ("Content-Security-Policy", "frame-ancestors 'self'"),
        ("X-Frame-Options", "ALLOW-FROM https://partner.example"),
        ("Referrer-Policy", "unsafe-url"),
        ("Referrer-Policy", "no-referrer, a-future-policy"),
        ("Set-Cookie", "lang=fr; Path=/"),
    ],
    "read-as-browsers-do-open": [
        ("Strict-Transport-Security", "max-age=600"),
        ("Strict-Transport-Security", "max-age=31536000"),
        ("Content-Security-Policy", "default-src 'self'; object-src 'none'; frame-ancestors *"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("Referrer-Policy", "unsafe-url"),
        ("Set-Cookie", "lang=fr; Path=/"),
    ],
}
FIELD_CHECKS = [
    "security.headers.hsts",
    "security.headers.csp",
    "security.headers.frame_protection",
    "security.headers.referrer_policy",
    "security.headers.cookies",
]


@pytest.mark.parametrize("case", sorted(HEADER_FIELDS))
def test_repeated_header_fields_are_read_as_browsers_read_them(
    tmp_path: Path, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMOLOG_TEST_TOKEN", "test-token-value")
    monkeypatch.setenv("HOMOLOG_TEST_PASSWORD", "test-password-value")
    ca, cert, key = make_pki(tmp_path / "pki")
    with careless_app(cert, key, HEADER_FIELDS[case]) as port:
        target = careless_target(tmp_path, port, ca)
        checks = [(c, {} if c.endswith("cookies") else {"pages": ["home"]}) for c in FIELD_CHECKS]
        verdicts = run_checks(checks, target, tmp_path)
    got = {c: v for c, (v, _) in verdicts.items()}
    if case.endswith("protected"):
        assert got == dict.fromkeys(FIELD_CHECKS, "passed"), verdicts
        return
    assert got == {c: "passed" if c.endswith("cookies") else "failed" for c in FIELD_CHECKS}, verdicts
    assert "max-age=600" in verdicts["security.headers.hsts"][1]
    assert "frame-ancestors * lets any site frame the page" in verdicts["security.headers.frame_protection"][1]
    assert "applies 'unsafe-url'" in verdicts["security.headers.referrer_policy"][1]


def test_cookies_are_all_judged_when_the_page_opens_without_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMOLOG_TEST_PASSWORD", "test-password-value")
    ca, cert, key = make_pki(tmp_path / "pki")
    with careless_app(cert, key, [("Set-Cookie", "lang=fr; Path=/")]) as port:
        target = careless_target(tmp_path, port, ca)
        doc = yaml.safe_load(target.read_text(encoding="utf-8"))
        doc["pages"]["home"]["auth"] = "none"  # the first page behind the login is now /patients, open to all
        target.write_text(yaml.safe_dump(doc), encoding="utf-8")
        verdicts = run_checks([("security.headers.cookies", {})], target, tmp_path)
    verdict, message = verdicts["security.headers.cookies"]
    assert verdict == "failed", verdicts
    assert "lang: no Secure, no HttpOnly, no SameSite" in (message or "")
    assert "every cookie judged: /patients opens without any of the cookies" in (message or "")


def test_a_flood_of_cookies_is_judged_whole_not_probed_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 200 cookies on every answer: leaving each out in turn would be 200 requests and more
    monkeypatch.setenv("HOMOLOG_TEST_PASSWORD", "test-password-value")
    ca, cert, key = make_pki(tmp_path / "pki")
    flood = [("Set-Cookie", f"c{i}=v; Path=/; Secure; HttpOnly; SameSite=Lax") for i in range(199)]
    with careless_app(cert, key, [*flood, ("Set-Cookie", "lang=fr; Path=/")]) as port:
        target = careless_target(tmp_path, port, ca)
        results = run_in_order([("security.headers.cookies", {})], target, tmp_path)
    assert results[0]["verdict"] == "failed", results
    assert "lang: no Secure, no HttpOnly, no SameSite" in results[0]["message"]
    assert "more than the 20 left out one at a time" in results[0]["message"]
    requests = [e for e in results[0]["evidence"] if "-http-" in e]
    assert len(requests) < 10, requests
