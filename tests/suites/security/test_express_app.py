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
