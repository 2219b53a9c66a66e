"""The security checks on an Express 5 application (express-session, Passport, helmet,
csrf-sync: libraries nobody here wrote), server-rendered, in Node (`expressapp.py`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .expressapp import express_app, express_target, installed
from .helpers import WEB_CHECKS, run_in_order
from .tlsserver import make_pki

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.browser]

PASSWORD = "correct-horse-battery-staple"
CHECKS = [*WEB_CHECKS, "security.headers.cors", "ui.a11y.headings"]


def _run(tmp_path: Path, variant: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[str, str]]:
    missing = installed()
    assert missing is None, missing  # ./setup.sh installs it: a test that cannot run is a failure
    monkeypatch.setenv("HOMOLOG_TEST_PASSWORD", PASSWORD)
    ca, cert, key = make_pki(tmp_path / "pki")
    with express_app(tmp_path / "app", cert, key, ca, variant, PASSWORD) as port:
        target = express_target(tmp_path, port, ca)
        results = run_in_order([(c, {}) for c in CHECKS], target, tmp_path, name=variant)
    return {r["check"]: (r["verdict"], r.get("message") or "") for r in results}


@pytest.mark.parametrize("variant", ["checklist", "defaults"])
def test_express_production_practices_pass_and_its_defaults_fail(
    tmp_path: Path, variant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    verdicts = _run(tmp_path, variant, monkeypatch)
    if variant == "checklist":
        assert verdicts == dict.fromkeys(CHECKS, ("passed", "")), verdicts
        return
    passed = {"security.auth.web_requires_session", "security.headers.cors", "ui.a11y.headings"}
    assert {c: v for c, (v, _) in verdicts.items()} == {c: "passed" if c in passed else "failed" for c in CHECKS}, (
        verdicts
    )
    assert "connect.sid: no Secure, no SameSite" in verdicts["security.headers.cookies"][1]
    # the export any visitor may post once the login page gave them a session and its token
    assert (
        "POST /patients/export [form on /patients]: 200 text/csv"
        in (verdicts["security.auth.endpoints_refuse_anonymous"][1])
    )
    # Express's error page shows the stack outside production: the login posted without its
    # token (csrf-sync's ForbiddenError) drew it, with lines broken by <br> and &nbsp;
    assert "Node.js stack" in verdicts["security.headers.error_disclosure"][1]


def _run_quirks(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    quirks: str,
    checks: list[tuple[str, dict[str, object]]],
    **security: object,
) -> dict[str, tuple[str, str]]:
    monkeypatch.setenv("HOMOLOG_TEST_PASSWORD", PASSWORD)
    ca, cert, key = make_pki(tmp_path / "pki")
    with express_app(tmp_path / "app", cert, key, ca, "checklist", PASSWORD, quirks) as port:
        target = express_target(tmp_path, port, ca, **security)
        results = run_in_order(checks, target, tmp_path, name=quirks.replace(",", "-") or "plain")
    return {r["check"]: (r["verdict"], r.get("message") or "") for r in results}


@pytest.mark.parametrize("quirks", ["", "open-notes"])
def test_anonymous_posts_are_judged_by_what_answers_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quirks: str
) -> None:
    # A note any visitor may post is saved and answered with a redirect to the patient's page
    # (which then sends the anonymous visitor to the login page): taken, not refused, since
    # this system refuses by sending to the login page. A logout posted first ends the
    # visitor's session and with it csrf-sync's token: each unsafe request is sent by a
    # visitor of its own, so the flag route's 200 is seen, not a CSRF 403.
    paths = ["POST web:/logout", "POST web:/patients/p1/notes", "POST web:/patients/p1/flags", "GET web:/patients"]
    check = ("security.auth.endpoints_refuse_anonymous", {"crawl": False})
    verdict, message = _run_quirks(tmp_path, monkeypatch, quirks, [check], inventory={"paths": paths})[check[0]]
    if not quirks:  # the routes do not exist: Express's 404 to every visitor
        assert verdict == "passed", message
        return
    assert verdict == "failed", message
    assert "POST /patients/p1/flags" in message and "200 application/json" in message, message
    assert "POST /patients/p1/notes" in message and "not where this system sends anonymous visitors" in message


@pytest.mark.parametrize("quirks", ["login-pages", ""])
def test_a_login_counts_only_when_its_session_opens_a_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quirks: str
) -> None:
    # Failed logins sent to /login-failed and a locked account's to /account-locked, both
    # away from the login page: neither opens a session, and the page behind the login then
    # sends the visitor back to it. The lockout holds either way.
    check = ("security.auth.lockout", {"max_failures": 5})
    verdict, message = _run_quirks(tmp_path, monkeypatch, quirks, [check])[check[0]]
    assert verdict == "passed", message


@pytest.mark.parametrize("quirks", ["api-cors", ""])
def test_the_cors_policy_of_the_declared_api_is_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quirks: str
) -> None:
    # The CORS mistake only on /api (app.use('/api', cors(...))): the login page has no CORS
    # header at all; the API the inventory declares reflects any origin with credentials.
    check = ("security.headers.cors", {})
    security = {"inventory": {"paths": ["GET web:/api/patients"]}}
    verdict, message = _run_quirks(tmp_path, monkeypatch, quirks, [check], **security)[check[0]]
    if quirks:
        assert verdict == "failed" and "/api/patients" in message, message
    else:
        assert verdict == "passed", message
