"""Reading login forms and page-map locators from HTML (no network); forging an access token."""

from __future__ import annotations

import base64

import pytest

from homolog.suites.security.auth.web_requires_session import forged_bearer
from homolog.suites.security.web_login import html_has, parse_login_form

LOGIN = """<!doctype html><html lang="fr"><body>
<form method="post" action="/login">
  <input type="hidden" name="csrf_token" value="tok123">
  <label for="username">Identifiant</label><input id="username" name="user">
  <label for="password">Mot de passe</label><input id="password" name="pw" type="password">
  <button id="login-submit">Se connecter</button>
</form>
<form action="/search"><input name="q"></form>
</body></html>"""


def test_login_form_fields_follow_the_page_map() -> None:
    form = parse_login_form(LOGIN, {"username": "#username", "password": "#password"}, {})
    assert form.action == "/login"
    assert form.fields == {"csrf_token": "tok123"}
    assert (form.username_name, form.password_name) == ("user", "pw")


def test_no_login_form_is_reported() -> None:
    with pytest.raises(ValueError, match="no form"):
        parse_login_form("<p>maintenance</p>", {}, {})
    with pytest.raises(ValueError, match="empty"):
        parse_login_form("  ", {}, {})


def test_entities_are_not_resolved() -> None:
    html = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><p role="alert">&e;</p>'
    assert html_has(html, "[role=alert]")


@pytest.mark.parametrize(
    ("selector", "found"),
    [
        ("[role=alert]", False),
        ("#login-submit", True),
        ("button#login-submit", True),
        ("input[type=hidden]", True),
        (".missing", False),
    ],
)
def test_simple_locators(selector: str, found: bool) -> None:
    assert html_has(LOGIN, selector) is found


def test_complex_locator_is_refused() -> None:
    with pytest.raises(ValueError, match="simple selector"):
        html_has(LOGIN, "#patient-table a")


def test_a_forged_access_token_keeps_a_jwt_claims_and_changes_its_signature() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbi0xMjM0NTY3ODkw"
    forged = forged_bearer(f"Bearer {jwt}").removeprefix("Bearer ")
    head, claims, signature = forged.split(".")
    assert (head, claims) == tuple(jwt.split(".")[:2]) and signature != jwt.split(".")[2] and len(signature) >= 43
    opaque = forged_bearer("Bearer opaque-access-0001")
    assert opaque.startswith("Bearer ") and "opaque" not in opaque and len(opaque) > 20


@pytest.mark.parametrize("size", [32, 64, 256])  # HS256, ES256/HS512, RS256 signatures, in bytes
def test_a_forged_signature_is_well_formed_base64url_of_the_real_length(size: int) -> None:
    """A strict decoder refuses a signature whose last character carries stray bits: the
    forgery must fail only on the signature's value, or an unchecked one goes unseen."""
    real = base64.urlsafe_b64encode(bytes(range(256))[:size]).rstrip(b"=").decode()
    for _ in range(200):
        signature = forged_bearer(f"Bearer eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.{real}").split(".")[2]
        decoded = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        assert len(decoded) == size and base64.urlsafe_b64encode(decoded).rstrip(b"=").decode() == signature
