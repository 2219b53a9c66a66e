"""OpenID Connect authorization code logins driven over HTTP, without a browser.

Two uses, one walk:

- the harness is the client (`client_id` in the auth entry): it asks the provider for a
  code for its own `redirect_uri`, with PKCE S256, state and nonce, reads the code from
  the redirect (nothing needs to listen there), and exchanges it for an access token;
- the system is the client (a "log in with Pro Santé Connect" button): the walk starts
  from the system's login page, follows the provider's redirects and comes back to the
  system with a session.

On the way, a provider page with a login form (a Keycloak-like page) is filled with the
entry's account; a provider that asks nothing (the PSC simulator) redirects at once.
Every step stays in the target's scope (the provider's host is in it through `issuer`)
and is recorded as evidence like any other request.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

from ..errors import CheckError
from .forms import css_xpath, document, parse_login_form

if TYPE_CHECKING:
    from ..target import AuthSpec
    from .client import Client, Reply

__all__ = ["MAX_STEPS", "Account", "code_token", "discover", "start_from_page", "walk"]

MAX_STEPS = 12
_DISCOVERY = ("/.well-known/openid-configuration", "/.well-known/wallet-openid-configuration")


@dataclass(frozen=True)
class Account:
    """The provider account to type into its login form (None for a provider that asks nothing)."""

    username: str | None
    password: str | None
    names: Mapping[str, str]  # the provider form's field names, from provider_locators


def discover(client: Client, issuer: str) -> dict[str, Any]:
    """The provider's metadata (standard discovery path, then Pro Santé Connect's)."""
    problems = []
    for path in _DISCOVERY:
        resp = client.request("GET", issuer.rstrip("/") + path, follow_redirects=False)
        if resp.status_code == 200:
            meta = resp.json()
            if isinstance(meta, dict) and isinstance(meta.get("authorization_endpoint"), str):
                return meta
        problems.append(f"{resp.describe()} -> {resp.status_code}")
    raise CheckError(f"no OpenID Connect discovery document under {issuer} ({'; '.join(problems)})")


def walk(
    client: Client,
    first: Reply,
    account: Account,
    *,
    arrived: Callable[[str], bool],
    auth_name: str,
) -> str:
    """Follow redirects and provider login forms from `first` until `arrived(url)`.

    Returns the URL arrived at (not requested: it may be outside the scope, e.g. the
    harness's redirect URI). A provider form is posted once; a second one is a refused
    login.
    """
    resp = first
    posted = False
    for _ in range(MAX_STEPS):
        if 300 <= resp.status_code < 400 and resp.headers.get("location"):
            nxt = urljoin(resp.url, resp.headers["location"])
            if arrived(nxt):
                return nxt
            resp = client.request("GET", nxt, follow_redirects=False)
            continue
        if resp.status_code == 200 and not posted and _has_password_form(resp.text, account):
            if not account.username or not account.password:
                raise CheckError(
                    f"the identity provider asks for a login at {resp.describe()}: auth {auth_name!r} "
                    "needs username and password_env for it"
                )
            resp = _post_form(client, resp, account)
            posted = True
            continue
        if arrived(resp.url):
            return resp.url
        what = "refused the login" if posted else "did not lead back"
        raise CheckError(f"OpenID Connect login (auth {auth_name!r}) {what}: {resp.describe()} -> {resp.status_code}")
    raise CheckError(f"OpenID Connect login (auth {auth_name!r}): more than {MAX_STEPS} steps")


def _has_password_form(html: str, account: Account) -> bool:
    try:
        parse_login_form(html, {}, account.names)
    except ValueError:
        return False
    return True


def _post_form(client: Client, page: Reply, account: Account) -> Reply:
    form = parse_login_form(page.text, {}, account.names)
    data = dict(form.fields)
    data[form.username_name] = account.username or ""
    data[form.password_name] = account.password or ""
    action = urljoin(page.url, form.action or page.url)
    return client.request(
        "POST",
        action,
        content=urlencode(data).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def code_token(client: Client, spec: AuthSpec, account: Account, secret: str | None) -> tuple[str, float | None]:
    """(access token, lifetime in seconds or None): the harness logs in as an OIDC client."""
    meta = discover(client, str(spec.get("issuer")))
    redirect = str(spec.get("redirect_uri"))
    state, nonce, verifier = (secrets.token_urlsafe(24) for _ in range(3))
    query = {
        "response_type": "code",
        "client_id": str(spec.get("client_id")),
        "redirect_uri": redirect,
        "scope": str(spec.get("scope") or "openid"),
        "state": state,
        "nonce": nonce,
        "code_challenge": _s256(verifier),
        "code_challenge_method": "S256",
    }
    endpoint = str(meta["authorization_endpoint"])
    first = client.request(
        "GET", endpoint + ("&" if "?" in endpoint else "?") + urlencode(query), follow_redirects=False
    )
    back = walk(client, first, account, arrived=lambda url: url.startswith(redirect), auth_name=spec.name)
    got = parse_qs(urlsplit(back).query)
    if got.get("state", [""])[0] != state:
        raise CheckError(f"OpenID Connect login (auth {spec.name!r}): the provider returned another state")
    if "code" not in got:
        reason = got.get("error", ["no code"])[0]
        raise CheckError(f"OpenID Connect login (auth {spec.name!r}) refused by the provider: {reason[:200]}")
    form = {"grant_type": "authorization_code", "code": got["code"][0], "redirect_uri": redirect}
    form["code_verifier"] = verifier
    return token_request(client, str(meta["token_endpoint"]), form, str(spec.get("client_id")), secret, spec.name)


def token_request(
    client: Client, url: str, form: dict[str, str], client_id: str, secret: str | None, auth_name: str
) -> tuple[str, float | None]:
    """POST a token request (client_secret_basic, else client_secret_post); the token and its lifetime."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    attempts: list[tuple[dict[str, str], dict[str, str]]] = []
    if secret:
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        attempts.append((form, {**headers, "Authorization": f"Basic {basic}"}))
        attempts.append((form | {"client_id": client_id, "client_secret": secret}, headers))
    else:
        attempts.append((form | {"client_id": client_id}, headers))
    resp = None
    for body, hdrs in attempts:
        resp = client.request("POST", url, content=urlencode(body).encode(), headers=hdrs, follow_redirects=False)
        if resp.status_code not in (400, 401):
            break
    assert resp is not None
    if resp.status_code != 200:
        raise CheckError(f"token request for auth {auth_name!r} refused: {resp.describe()} -> {resp.status_code}")
    try:
        doc = json.loads(resp.content)
    except (ValueError, UnicodeDecodeError):
        doc = None
    token = doc.get("access_token") if isinstance(doc, dict) else None
    if not isinstance(token, str) or not token:
        raise CheckError(f"token response for auth {auth_name!r} has no access_token ({resp.describe()})")
    lifetime = doc.get("expires_in") if isinstance(doc, dict) else None
    return token, float(lifetime) if isinstance(lifetime, int | float) and lifetime > 0 else None


def start_from_page(client: Client, page_url: str, html: str, selector: str) -> Reply:
    """Follow the element `selector` of the system's login page: a link, or a form's submit."""
    try:
        found = document(html).xpath(css_xpath(selector)) if html.strip() else []
    except ValueError as exc:
        raise CheckError(str(exc)) from None
    if not found:
        raise CheckError(f"the login page {page_url} has no element {selector!r} to start the provider login")
    el = found[0]
    href = el.get("href")
    if href:
        return client.request("GET", urljoin(page_url, href), follow_redirects=False)
    forms = el.xpath("ancestor-or-self::form")
    if forms:
        form = forms[0]
        fields = {str(i.get("name")): str(i.get("value") or "") for i in form.xpath(".//input[@name]")}
        action = urljoin(page_url, form.get("action") or page_url)
        if (form.get("method") or "get").lower() == "post":
            return client.request(
                "POST",
                action,
                content=urlencode(fields).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                follow_redirects=False,
            )
        return client.request("GET", action, params=fields, follow_redirects=False)
    raise CheckError(f"{selector!r} on {page_url} is neither a link nor in a form: a browser is needed to follow it")
