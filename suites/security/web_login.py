"""HTTP-level logins against the target's web UI, with a cookie jar of its own.

A `WebSession` logs in the way the target's auth entry says (`homolog.auth`):

- `form`: the page map's login form (read without a browser, `homolog.parse_login_form`;
  field names from the locators or ``settings.security.login_fields``), or the JSON login
  its scripts send (`api:`, `homolog.submit_login`);
- `basic`: HTTP Basic credentials on every request of the session; a login is accepted
  when a protected page answers with its content;
- `oidc` (the system's provider button): the walk through the identity provider
  (`Authenticator.login`), which leaves the session cookies here. There is no password
  to try, so checks that try wrong passwords need a `form` or `basic` account.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from homolog import (
    CheckError,
    HttpClient,
    LoginForm,
    Response,
    Target,
    browser_origin,
    html_has,
    parse_login_form,
    refresh_session,
    renewed_token,
    submit_login,
)

from .header_analysis import parse_set_cookie

__all__ = [
    "LoginForm",
    "LoginResult",
    "WebSession",
    "account",
    "html_has",
    "parse_login_form",
    "protected_path",
    "refused_web",
    "try_login",
]

#: Kinds whose logins take a username and a password this module can type.
PASSWORD_KINDS = ("form", "basic")


@dataclass
class LoginResult:
    """Outcome of one login attempt."""

    success: bool
    status: int
    location: str
    described: str
    set_cookies: list[str] = field(default_factory=list)


def protected_path(target: Target, auth: str = "web") -> str:
    """What answers only within an `auth` session: the session resource of a JSON login
    (`api.session`), else the first page behind the login in the page map, else `/`."""
    spec = target.auth(auth)
    if spec is not None and spec.api is not None and spec.api.session:
        return spec.api.session
    for name in target.pages:
        if target.page_auth(name) == auth:
            return target.page(name).path
    return "/"


class WebSession:
    """A browser-like session: its own HTTP client, cookies kept here and sent explicitly.

    The engine's client keeps a cookie jar for its whole life; a session gets a fresh
    client and empties that jar before each request, so what is sent is exactly
    ``self.cookies`` (which lets checks forge or drop cookies on purpose).
    """

    def __init__(
        self,
        http: HttpClient,
        target: Target,
        *,
        base: str = "web",
        cookies: dict[str, str] | None = None,
        auth: str = "web",
    ) -> None:
        self.client = http.fresh()
        self.target = target
        self.base = base
        self.auth = auth
        spec = target.auth(auth)
        self.kind = spec.type if spec is not None else "none"
        self.cookies: dict[str, str] = dict(cookies or {})
        self.basic: str | None = None  # the Authorization value of a Basic session
        self.bearer: str | None = None  # the Authorization value of a JSON login's access token
        self.refresh_token: str | None = None  # and its refresh token, when the login answers one
        self.seen_set_cookies: list[str] = []

    def close(self) -> None:
        """Release the session's HTTP client."""
        self.client.close()

    def __enter__(self) -> WebSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kw: Any) -> Any:
        """Send a request with this session's cookies; remember the cookies set."""
        headers = dict(kw.pop("headers", None) or {})
        if method.upper() not in ("GET", "HEAD") and not any(k.lower() == "origin" for k in headers):
            # a browser says where a POST comes from; CSRF protections (Django's) refuse one that does not
            headers["Origin"] = browser_origin(self.target.base_url(self.base))
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if (self.basic or self.bearer) and "Authorization" not in headers:
            headers["Authorization"] = self.basic or self.bearer
        self.client.cookies.clear()
        resp = self.client.request(method, path, base=self.base, headers=headers, follow_redirects=False, **kw)
        for value in resp.header_values("set-cookie"):
            self.seen_set_cookies.append(value)
            name, _, val = value.split(";", 1)[0].partition("=")
            if parse_set_cookie(value).deleted:  # expired or emptied: the server dropping it
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = val.strip()
        return resp

    def login(self, username: str, password: str, *, confirm: bool = False) -> LoginResult:
        """One login with these credentials, the way the auth entry's kind logs in;
        `confirm`: a form login answered as a success counts only if the page behind the
        login then opens (`_no_session`), for checks that judge whether a login succeeded."""
        before = len(self.seen_set_cookies)
        if self.kind == "basic":
            value = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
            self.client.sanitizer.add(value.split(" ", 1)[1])
            probe = self.request("GET", protected_path(self.target, self.auth), headers={"Authorization": value})
            if probe.status_code >= 500:
                raise CheckError(f"the Basic login failed with {probe.status_code} ({probe.describe()})")
            success = 200 <= probe.status_code < 300
            self.basic = value if success else None
            return LoginResult(
                success,
                probe.status_code,
                probe.headers.get("location", ""),
                probe.describe(),
                self.seen_set_cookies[before:],
            )
        if self.kind not in ("form", "none"):
            raise CheckError(
                f"auth {self.auth!r} is of type {self.kind}: no password login to try "
                f"(a {' or '.join(PASSWORD_KINDS)} account is needed)"
            )
        names = self.target.settings("security").get("login_fields") or {}
        page = self.target.page(self.target.login_page(self.auth) or "login")
        spec = self.target.auth(self.auth)
        outcome = submit_login(self.request, page, spec.api if spec else None, username, password, names)
        if outcome.token:
            self.client.sanitizer.add(outcome.token)
            self.bearer = f"Bearer {outcome.token}"
        if outcome.refresh:
            self.client.sanitizer.add(outcome.refresh)
            self.refresh_token = outcome.refresh
        success, described = outcome.success, outcome.described
        if confirm and success and not outcome.token:
            refused = self._no_session()
            if refused:
                success, described = False, f"{described}, yet {refused}"
        return LoginResult(success, outcome.status, outcome.location, described, self.seen_set_cookies[before:])

    def _no_session(self) -> str | None:
        """Why a login answered as a success (a redirect away from the login page) opened no
        session, or None: a failed or locked login may be sent to a page of its own
        (`/login-failed`, `/account-locked`), which says nothing; the page behind the login
        then sends back to the login page, or answers 401. A 403 may be the account's role,
        not its session: it refutes nothing."""
        path = protected_path(self.target, self.auth)
        if path == "/" and self.auth != "web":  # no page of its own: the web account's
            path = protected_path(self.target, "web")
        resp = self.request("GET", path)
        login = self.target.login_path(self.auth)
        sent_back = 300 <= resp.status_code < 400 and login is not None
        if sent_back and urlsplit(str(resp.headers.get("location", ""))).path == login:
            return f"{path} then sent back to the login page: no session was opened"
        if resp.status_code == 401:
            return f"{path} then answered 401: no session was opened"
        return None

    def page_url(self) -> str:
        """The URL of the page whose script sends the session's requests: the login page of
        the auth entry (a single-page application's shell), else the web base URL."""
        name = self.target.login_page(self.auth)
        if name is None or name not in self.target.pages:
            return self.target.url("/", "web")
        return self.target.url(self.target.page(name).path, self.target.page(name).base)

    def refresh(self) -> Response:
        """Ask for a new access token as the page's script does when its token lapses
        (`api.refresh`); a token answered replaces the session's, the answer is returned."""
        spec = self.target.auth(self.auth)
        api = spec.api if spec is not None else None
        if api is None or api.refresh is None:
            raise CheckError(f"auth.{self.auth} declares no api.refresh: no token refresh to ask")
        cookies = (f"{k}={v}" for k, v in self.cookies.items())
        resp: Response = refresh_session(self.request, api, self.refresh_token, self.page_url(), cookies)
        token = renewed_token(resp, api.token) if api.token else None
        if token:
            self.client.sanitizer.add(token)
            self.bearer = f"Bearer {token}"
        rotated = renewed_token(resp, api.refresh_token) if api.refresh_token else None
        if rotated:
            self.client.sanitizer.add(rotated)
            self.refresh_token = rotated
        return resp

    def open(self) -> LoginResult:
        """Log in with the auth entry's own account, whatever its kind; CheckError if refused."""
        if self.kind in PASSWORD_KINDS:
            user, password = account(self.target, self.auth)
            result = self.login(user, password)
            if not result.success:
                raise CheckError(f"the web account {user!r} cannot log in ({result.described} -> {result.status})")
            return result
        if self.kind == "oidc":
            before = len(self.seen_set_cookies)
            login = self.client.authenticator.login(self.auth, self.client, set_cookies=self.seen_set_cookies)
            self.cookies.update(login.cookies)
            return LoginResult(
                True, 200, "", f"OpenID Connect login (auth {self.auth!r})", self.seen_set_cookies[before:]
            )
        raise CheckError(f"the target declares no web login (auth.{self.auth}) to open a session with")


def try_login(http: HttpClient, target: Target, username: str, password: str, *, auth: str = "web") -> LoginResult:
    """One login attempt in a session of its own (closed afterwards), a success confirmed
    by the page behind the login (`WebSession.login`)."""
    with WebSession(http, target, auth=auth) as session:
        return session.login(username, password, confirm=True)


def account(target: Target, name: str) -> tuple[str, str]:
    """(username, password) of the target's auth entry ``name`` (a form or Basic account)."""
    spec = target.auth(name)
    if spec is None or not spec.username:
        raise CheckError(f"the target declares no auth.{name} account with a username")
    return spec.username, target.secret_value(name, "password")


def refused_web(resp: Response, login_path: str | None) -> bool:
    """The answer refuses the visitor: 401/403, or a redirect to the login page."""
    status = resp.status_code
    if status in (401, 403):
        return True
    if 300 <= status < 400 and login_path is not None:
        return urlsplit(str(resp.headers.get("location", ""))).path == login_path
    return False
