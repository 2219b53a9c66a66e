"""The security checks on a FastAPI application whose accounts are fastapi-users', libraries
nobody here wrote (`fastapiapp.py`).

Its login is OAuth 2's password form, form-encoded (FastAPI's `OAuth2PasswordRequestForm`),
answering a bearer token or setting a cookie; its password change is `PATCH /users/me` with
the new password alone.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .fastapiapp import fastapi_app, fastapi_target
from .helpers import WEB_CHECKS, run_in_order
from .tlsserver import make_pki

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.browser]

PASSWORD = "correct-horse-battery-staple"
CHECKS = [*WEB_CHECKS, "security.headers.cors", "ui.a11y.headings"]


HEADERS = {
    "security.headers.hsts",
    "security.headers.csp",
    "security.headers.nosniff",
    "security.headers.frame_protection",
    "security.headers.referrer_policy",
}
# what the library's example leaves open besides the headers: any password, no lockout,
# tokens of an hour, the notes endpoint that forgot its dependency, any origin with credentials
SESSION = {
    "security.auth.password_policy",
    "security.auth.lockout",
    "security.auth.session_timeout",
    "security.auth.endpoints_refuse_anonymous",
    "security.headers.cors",
}
TOKEN = re.compile(rb"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+")


def _run(tmp_path: Path, variant: str, monkeypatch: pytest.MonkeyPatch, *, cookie: bool) -> dict[str, tuple[str, str]]:
    monkeypatch.setenv("HOMOLOG_TEST_PASSWORD", PASSWORD)
    ca, cert, key = make_pki(tmp_path / "pki")
    with fastapi_app(tmp_path / "app", cert, key, ca, variant, PASSWORD) as port:
        target = fastapi_target(tmp_path, port, ca, cookie=cookie)
        results = run_in_order([(c, {}) for c in CHECKS], target, tmp_path, name=variant)
    return {r["check"]: (r["verdict"], r.get("message") or "") for r in results}


@pytest.mark.parametrize("cookie", [False, True], ids=["bearer", "cookie"])
@pytest.mark.parametrize("variant", ["checklist", "defaults"])
def test_fastapi_users_logging_in_with_the_oauth_password_form(
    tmp_path: Path, variant: str, cookie: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before `api.body: form` and `api.password: PATCH ...`, every check behind the login
    # said `error` (the credentials posted as JSON: 422) and the password policy could not
    # be asked (POST /users/me: 405).
    verdicts = _run(tmp_path, variant, monkeypatch, cookie=cookie)
    cookies, why = verdicts.pop("security.headers.cookies")
    if cookie:  # fastapi-users' cookie: HttpOnly, Secure, SameSite=lax, in either variant
        assert (cookies, why) == ("passed", "")
    else:
        assert cookies == "error" and "no cookie holds it" in why, why
    failed = set() if variant == "checklist" else HEADERS | SESSION
    assert {c: v for c, (v, _) in verdicts.items()} == {
        c: "failed" if c in failed else "passed" for c in CHECKS if c != "security.headers.cookies"
    }, verdicts
    if variant == "defaults":
        assert "a 14-character password was accepted" in verdicts["security.auth.password_policy"][1]
        assert "POST /api/notes" in verdicts["security.auth.endpoints_refuse_anonymous"][1]
        cors = verdicts["security.headers.cors"][1]  # the API's session resource among what was asked
        assert "OPTIONS /users/me" in cors and "is reflected in Access-Control-Allow-Origin" in cors, cors
    # the tokens the logins answered (in the JSON answer or in the cookie) reach no file of the run
    leaked = [p for p in (tmp_path / f"run-{variant}").rglob("*") if p.is_file() and TOKEN.search(p.read_bytes())]
    assert not leaked, leaked
