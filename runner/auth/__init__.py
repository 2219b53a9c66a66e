"""Authentication of the harness against the system, for HTTP clients and browsers alike.

A target's `auth:` entries name a kind (`homolog.auth.spec`); `Authenticator` turns an
entry into what a request carries:

    kind     HTTP (HttpClient, auth="name")                 browser (UiSession)
    none     extra headers / cookies only                   same
    basic    Authorization: Basic                           Playwright http_credentials
    bearer   Authorization: Bearer (static, or obtained      the header, on the entry's origin
             with client credentials, cached per run)
    header   the token in its header                        the header, on the entry's origin
    form     a login through the page map's form, or the    the page map's form, filled
             JSON login its scripts send (session cookies
             of that client, or the access token it answers)
    oidc     with client_id: an access token (code flow,    the system's provider button, then
             cached per run); without: the system's         the provider's login form if any
             provider button walked over HTTP

Tokens are fetched once per run and process, and renewed before they expire; nothing
obtained is written anywhere: every secret value (environment values, tokens, session
cookies, the Basic header) is registered with the run's sanitizer as soon as it is known.
Form and provider-button logins make sessions (cookies, or the access token a JSON login
answers) that belong to one HTTP client (its `sessions`), since a session may end; a
long-lived client logs in again when told so (`forget`).
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..errors import CheckError
from ..target import AuthSpec, Target
from .client import Session
from .forms import submit_login
from .oidc import Account, code_token, start_from_page, token_request, walk

if TYPE_CHECKING:
    from .client import Client, Reply

__all__ = ["Authenticator", "BrowserCredentials", "Session"]

#: Renew a token this long before the provider says it expires.
RENEW_MARGIN = 30.0


@dataclass(frozen=True)
class BrowserCredentials:
    """What a browser context needs for an auth entry (header kinds, Basic and extras).

    `headers` and `cookies` are for `origin` only; form and oidc logins are driven in the
    page by the UI session itself (`kind` tells it which).
    """

    name: str
    kind: str
    origin: str
    http_credentials: Mapping[str, str] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    cookies: tuple[Mapping[str, str], ...] = ()


@dataclass
class _Token:
    value: str
    expires: float | None  # monotonic deadline


def origin_of(url: str) -> str:
    """scheme://host:port of a URL (the default port written out)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


class Authenticator:
    """The credentials of one run (one process): headers per request, tokens cached."""

    def __init__(self, target: Target, *, register: Callable[[str], None] | None = None) -> None:
        self.target = target
        self._register = register or (lambda value: None)
        self._tokens: dict[str, _Token] = {}
        self._lock = threading.Lock()

    # -- what a request carries
    def headers(self, name: str, client: Client) -> dict[str, str]:
        """Headers a request with `auth=name` carries (Authorization, extras, Cookie)."""
        spec = self.spec(name)
        out = self.extra_headers(spec)
        cookies = self.extra_cookies(spec)
        if spec.type == "basic":
            out["Authorization"] = "Basic " + self.basic_value(spec)
        elif spec.type == "bearer" or (spec.type == "oidc" and spec.get("client_id")):
            out["Authorization"] = f"Bearer {self.token(name, client)}"
        elif spec.type == "header":
            out[str(spec.get("header") or "X-Api-Key")] = self.secret(spec, "token_env")
        elif spec.type in ("form", "oidc"):
            session = self.session(name, client)
            cookies |= session.cookies
            if session.bearer:
                out["Authorization"] = f"Bearer {session.bearer}"
        if cookies:
            out["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        return out

    def browser(self, name: str, client: Client) -> BrowserCredentials:
        """What a browser context carries for `auth=name` (see BrowserCredentials)."""
        spec = self.spec(name)
        origin = origin_of(self.target.base_url(str(spec.get("base") or "web")))
        headers = self.extra_headers(spec)
        credentials = None
        if spec.type == "basic":
            credentials = {
                "username": spec.username or "",
                "password": self.secret(spec, "password_env"),
                "origin": origin,
                "send": "always",
            }
        elif spec.type == "bearer" or (spec.type == "oidc" and spec.get("client_id")):
            headers["Authorization"] = f"Bearer {self.token(name, client)}"
        elif spec.type == "header":
            headers[str(spec.get("header") or "X-Api-Key")] = self.secret(spec, "token_env")
        cookies = tuple({"name": k, "value": v, "url": origin} for k, v in self.extra_cookies(spec).items())
        return BrowserCredentials(name, spec.type, origin, credentials, headers, cookies)

    # -- pieces
    def spec(self, name: str) -> AuthSpec:
        spec = self.target.auth(name)
        if spec is None:
            known = ", ".join(self.target.raw.get("auth") or {}) or "none"
            raise CheckError(f"the target declares no auth {name!r} (auth: {known})")
        return spec

    def secret(self, spec: AuthSpec, key: str) -> str:
        """The value of the variable the entry names under `key`; registered as a secret."""
        env = spec.get(key)
        if not env:
            raise CheckError(f"auth {spec.name!r} names no environment variable for {key}")
        value = self.target.env_value(spec.name, str(env), key)
        self._register(value)
        return value

    def basic_value(self, spec: AuthSpec) -> str:
        pair = f"{spec.username or ''}:{self.secret(spec, 'password_env')}"
        value = base64.b64encode(pair.encode()).decode()
        self._register(value)
        return value

    def extra_headers(self, spec: AuthSpec) -> dict[str, str]:
        out = {str(k): str(v) for k, v in (spec.get("headers") or {}).items()}
        for header, env in (spec.get("headers_env") or {}).items():
            out[str(header)] = self._env(spec, str(env), f"headers_env.{header}")
        return out

    def extra_cookies(self, spec: AuthSpec) -> dict[str, str]:
        out = {str(k): str(v) for k, v in (spec.get("cookies") or {}).items()}
        for cookie, env in (spec.get("cookies_env") or {}).items():
            out[str(cookie)] = self._env(spec, str(env), f"cookies_env.{cookie}")
        return out

    def _env(self, spec: AuthSpec, env: str, what: str) -> str:
        value = self.target.env_value(spec.name, env, what)
        self._register(value)
        return value

    def account(self, spec: AuthSpec) -> Account:
        """The provider account of an oidc entry (none when it declares no password)."""
        password = self.secret(spec, "password_env") if spec.get("password_env") else None
        locators = spec.get("provider_locators") or {}
        names = {k: v[1:] for k, v in locators.items() if isinstance(v, str) and v.startswith("#") and k != "submit"}
        return Account(spec.username, password, names)

    # -- tokens (per run) and sessions (per client)
    def token(self, name: str, client: Client) -> str:
        """The bearer token of `name`: static, or fetched once and renewed before it expires."""
        spec = self.spec(name)
        if spec.type == "bearer" and spec.get("token_env"):
            return self.secret(spec, "token_env")
        with self._lock:
            cached = self._tokens.get(name)
            if cached is not None and (cached.expires is None or time.monotonic() < cached.expires):
                return cached.value
            secret = self.secret(spec, "client_secret_env") if spec.get("client_secret_env") else None
            if spec.type == "bearer":
                form = {"grant_type": "client_credentials"}
                if spec.get("scope"):
                    form["scope"] = str(spec.get("scope"))
                token, lifetime = token_request(
                    client, str(spec.get("token_url")), form, str(spec.get("client_id")), secret, name
                )
            else:
                token, lifetime = code_token(client.fresh(), spec, self.account(spec), secret)
            self._register(token)
            expires = None if lifetime is None else time.monotonic() + max(lifetime - RENEW_MARGIN, lifetime / 2)
            self._tokens[name] = _Token(token, expires)
            return token

    def session(self, name: str, client: Client) -> Session:
        """The session of a form or provider-button login, made once per client."""
        if name not in client.sessions:
            client.sessions[name] = self.login(name, client)
        return client.sessions[name]

    def forget(self, name: str, client: Client) -> None:
        """Drop the client's session for `name` (it ended): the next request logs in again."""
        client.sessions.pop(name, None)

    def login(self, name: str, client: Client, *, set_cookies: list[str] | None = None) -> Session:
        """Log in for `name` with a client of its own: the session cookies of the system's origin,
        and the access token of a JSON login that answers one.

        `set_cookies` receives the Set-Cookie headers the system sent during the login.
        """
        spec = self.spec(name)
        page = self.target.page(str(spec.get("page") or "login"))
        origin = origin_of(self.target.base_url(page.base))
        seen = set_cookies if set_cookies is not None else []
        bearer: str | None = None

        def keep(resp: Reply) -> Reply:
            if origin_of(resp.url) == origin:
                seen.extend(resp.header_values("set-cookie"))
            return resp

        with client.fresh() as own:
            if spec.type == "form":
                password = self.secret(spec, "password_env")
                outcome = submit_login(
                    lambda method, path, **kw: keep(
                        own.request(method, path, base=page.base, follow_redirects=False, **kw)
                    ),
                    page,
                    spec.api,
                    spec.username or "",
                    password,
                    self.target.settings("security").get("login_fields") or {},
                )
                if not outcome.success:
                    raise CheckError(
                        f"auth {name!r}: the login of {spec.username!r} failed "
                        f"({outcome.described} -> {outcome.status})"
                    )
                bearer = outcome.token
            else:
                shown = keep(own.request("GET", page.path, base=page.base, follow_redirects=False))
                first = keep(start_from_page(own, shown.url, shown.text, page.locator(str(spec.get("start")))))
                back = walk(own, first, self.account(spec), arrived=lambda u: origin_of(u) == origin, auth_name=name)
                landed = keep(own.request("GET", back, follow_redirects=False))
                location = urlsplit(landed.headers.get("location", "")).path
                if landed.status_code >= 400 or location == urlsplit(str(shown.url)).path:
                    raise CheckError(
                        f"auth {name!r}: the provider login did not open a session ({landed.describe()} -> "
                        f"{landed.status_code})"
                    )
            host = urlsplit(origin).hostname or ""
            cookies = {
                c.name: c.value or "" for c in own.cookies.jar if c.domain.lstrip(".") in (host, f"{host}.local")
            }
        for value in [*cookies.values(), *([bearer] if bearer else [])]:
            self._register(value)
        if not cookies and not bearer:
            raise CheckError(f"auth {name!r}: the login set no cookie: no session to reuse")
        return Session(cookies, bearer)
