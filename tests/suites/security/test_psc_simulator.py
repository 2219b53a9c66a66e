"""The PSC simulator as a relying party sees it (real HTTP on 127.0.0.1, no engine)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from homolog.counterparts.psc import TICKET_COOKIE, PscControl, PscControlError, PscSimulator

CLIENT, SECRET, REDIRECT = "dpi-demo", "s3cret", "https://127.0.0.1:1/oidc/callback"


@pytest.fixture(scope="module")
def psc() -> Iterator[PscSimulator]:
    with PscSimulator(client_id=CLIENT, client_secret=SECRET, redirect_uris=[REDIRECT]) as sim:
        yield sim


def _login(
    psc: PscSimulator,
    *,
    ticket: str | None = None,
    pkce: bool = True,
    verifier_override: str | None = None,
) -> tuple[int, dict[str, Any], str]:
    """Run the code flow like a relying party; returns (token status, token body, nonce)."""
    conf = httpx.get(psc.discovery_url, timeout=5).json()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    nonce, state = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    params = {
        "response_type": "code",
        "client_id": CLIENT,
        "redirect_uri": REDIRECT,
        "scope": "openid scope_all",
        "state": state,
        "nonce": nonce,
        "acr_values": "eidas1",
    }
    if pkce:
        params |= {"code_challenge": challenge.decode(), "code_challenge_method": "S256"}
    cookies = {TICKET_COOKIE: ticket} if ticket else None
    resp = httpx.get(conf["authorization_endpoint"], params=params, cookies=cookies, timeout=5)
    assert resp.status_code == 302
    back = parse_qs(urlsplit(resp.headers["location"]).query)
    assert back["state"] == [state]
    form = {"grant_type": "authorization_code", "code": back["code"][0], "redirect_uri": REDIRECT}
    if pkce:
        form["code_verifier"] = verifier_override or verifier
    tok = httpx.post(conf["token_endpoint"], data=form, auth=(CLIENT, SECRET), timeout=5)
    return tok.status_code, tok.json(), nonce


def _verify(psc: PscSimulator, id_token: str) -> dict[str, Any]:
    keys = jwt.PyJWKSet.from_dict(httpx.get(psc.discovery()["jwks_uri"], timeout=5).json())
    key = keys[jwt.get_unverified_header(id_token)["kid"]]
    return jwt.decode(id_token, key.key, algorithms=["RS256", "ES256"], audience=CLIENT, issuer=psc.issuer)


def test_code_flow_with_pkce_gives_verifiable_token_and_userinfo(psc: PscSimulator) -> None:
    status, body, nonce = _login(psc)
    assert status == 200
    claims = _verify(psc, body["id_token"])
    assert claims["nonce"] == nonce and claims["acr"] == "eidas1"
    info = httpx.get(
        psc.discovery()["userinfo_endpoint"],
        timeout=5,
        headers={"Authorization": f"Bearer {body['access_token']}"},
    ).json()
    assert info["SubjectNameID"] == "810000000001"
    assert {"SubjectRefPro", "SubjectOrganization", "SubjectRole"} <= info.keys()
    last = psc.requests[-1]
    assert last["acr_values"] == "eidas1" and last["code_challenge_method"] == "S256"
    assert psc.token_requests[-1]["pkce"] == "S256 verified"


def test_wrong_pkce_verifier_is_refused(psc: PscSimulator) -> None:
    status, body, _ = _login(psc, verifier_override="x" * 50)
    assert status == 400 and body["error"] == "invalid_grant"
    assert psc.token_requests[-1]["pkce"] == "S256 mismatch"


def test_flow_without_pkce_is_recorded(psc: PscSimulator) -> None:
    status, _, _ = _login(psc, pkce=False)
    assert status == 200
    assert psc.requests[-1]["code_challenge_method"] is None
    assert psc.token_requests[-1]["pkce"] == "not used"


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("wrong-aud", jwt.InvalidAudienceError),
        ("expired", jwt.ExpiredSignatureError),
        ("bad-signature", jwt.InvalidSignatureError),
    ],
)
def test_misbehaviour_breaks_exactly_one_token(psc: PscSimulator, mode: str, error: type) -> None:
    psc.misbehave(mode)
    _, body, _ = _login(psc)
    with pytest.raises(error):
        _verify(psc, body["id_token"])
    _, body, _ = _login(psc)
    _verify(psc, body["id_token"])  # one-shot: the next login is sound again


def test_wrong_nonce_and_tickets_over_the_control_api(psc: PscSimulator) -> None:
    control = PscControl(psc.control_url)
    assert control.issuer == psc.issuer
    ticket = control.new_ticket(mode="wrong-nonce", login_as="810000000002")
    _, plain, nonce = _login(psc)  # another browser: unaffected by the ticket
    assert _verify(psc, plain["id_token"])["nonce"] == nonce
    _, body, nonce = _login(psc, ticket=ticket)
    claims = _verify(psc, body["id_token"])
    assert claims["nonce"] != nonce and claims["SubjectNameID"] == "810000000002"
    assert control.requests[-1]["ticket"] == ticket
    assert control.token_requests[-1]["mode"] == "wrong-nonce"
    control.reset()
    assert control.requests == []


def test_control_api_needs_the_secret(psc: PscSimulator) -> None:
    with pytest.raises(PscControlError, match="404"):
        _ = PscControl(psc.origin + "/_homolog/guess").requests
    with pytest.raises(PscControlError, match=r"127\.0\.0\.1"):
        PscControl("http://example.org/_homolog/x")


def test_unregistered_redirect_uri_is_not_followed(psc: PscSimulator) -> None:
    resp = httpx.get(
        psc.discovery()["authorization_endpoint"],
        timeout=5,
        params={
            "response_type": "code",
            "client_id": CLIENT,
            "redirect_uri": "https://evil.invalid/cb",
            "scope": "openid",
            "state": "s",
        },
    )
    assert resp.status_code == 400 and "location" not in resp.headers


def test_es256_keys() -> None:
    with PscSimulator(alg="ES256") as sim:
        assert sim.jwks()["keys"][0]["kty"] == "EC"


def test_wrong_state_changes_only_the_redirect(psc: PscSimulator) -> None:
    psc.misbehave("wrong-state")
    resp = httpx.get(
        psc.discovery()["authorization_endpoint"],
        timeout=5,
        params={
            "response_type": "code",
            "client_id": CLIENT,
            "redirect_uri": REDIRECT,
            "scope": "openid",
            "state": "sent-state",
            "nonce": "n",
        },
    )
    back = parse_qs(urlsplit(resp.headers["location"]).query)
    assert back["state"] != ["sent-state"] and back["code"]
    assert psc.requests[-1]["mode"] == "wrong-state"
    status, body, nonce = _login(psc)  # one-shot: the next flow is sound
    assert status == 200 and _verify(psc, body["id_token"])["nonce"] == nonce
