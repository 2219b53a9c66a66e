"""Logins without a browser: an HTML login form read and posted, or a JSON login sent.

The page is parsed with a non-networking HTML parser. Field names come from the page
map's locators (`#username` -> the `name` of the element with that id), else from
explicit names, else `username` / `password`; hidden fields (a CSRF token) are sent
back as found.

A page whose scripts draw the form and log in through an API (a single-page application)
declares that request (`auth.<name>.api`, `homolog.LoginApi`): the page is opened, the
CSRF cookie asked for, and the credentials posted as JSON (keys from the same names) with
the CSRF cookie's value in the headers frameworks read it from, as the page's script does.
A login that answers an access token (`api.token`) gives it in `LoginOutcome.token`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlencode, urljoin, urlsplit

import lxml.html

from ..errors import CheckError
from ..secrets import credential_field
from ..target import LoginApi, PageSpec

__all__ = [
    "CSRF_HEADERS",
    "LoginForm",
    "LoginOutcome",
    "browser_origin",
    "csrf_headers",
    "css_xpath",
    "html_has",
    "parse_login_form",
    "refresh_session",
    "renewed_token",
    "script_headers",
    "submit_login",
    "submit_login_form",
]

_PARSER = lxml.html.HTMLParser(no_network=True, remove_comments=True)
#: Cookies that carry a CSRF token for scripts to echo (Django `csrftoken`, Angular and
#: Laravel `XSRF-TOKEN`, Spring's `XSRF-TOKEN`), and the headers frameworks read it from.
_CSRF_COOKIE = re.compile(r"csrf|xsrf", re.IGNORECASE)
CSRF_HEADERS = ("X-CSRFToken", "X-CSRF-Token", "X-XSRF-TOKEN")


@dataclass(frozen=True)
class LoginForm:
    """What is needed to post the login form."""

    action: str | None
    fields: dict[str, str]  # hidden inputs to send back (CSRF token ...)
    username_name: str
    password_name: str
    password_fields: tuple[str, ...] = ()  # every password input of the form (a confirmation too)


@dataclass(frozen=True)
class LoginOutcome:
    """One posting of a login form: success is a redirect away from the login page."""

    success: bool
    status: int
    location: str
    described: str
    token: str | None = None  # the access token of a JSON login that answers one (`api.token`)
    refresh: str | None = None  # its refresh token (`api.refresh_token`)


def css_xpath(selector: str) -> str:
    """XPath for the simple selectors page maps use: ``#id``, ``tag``, ``[attr=value]``,
    ``.class`` and their concatenation; anything else raises ValueError."""
    m = re.fullmatch(
        r"([a-zA-Z][\w-]*)?((?:#[\w-]+|\.[\w-]+|\[[\w-]+(?:=[\"']?[^\]\"']*[\"']?)?\])*)",
        selector.strip(),
    )
    if not m or not selector.strip():
        raise ValueError(f"locator {selector!r} is not a simple selector this check can read")
    conds = []
    for part in re.findall(r"#[\w-]+|\.[\w-]+|\[[^\]]+\]", m.group(2)):
        if part.startswith("#"):
            conds.append(f"@id='{part[1:]}'")
        elif part.startswith("."):
            conds.append(f"contains(concat(' ', normalize-space(@class), ' '), ' {part[1:]} ')")
        else:
            name, eq, value = part[1:-1].partition("=")
            value = value.strip("\"'")
            conds.append(f"@{name}='{value}'" if eq else f"@{name}")
    return "//" + (m.group(1) or "*") + "".join(f"[{c}]" for c in conds)


def document(html: str) -> Any:
    """The parsed page (lxml), for a page that is not empty."""
    return lxml.html.document_fromstring(html, parser=_PARSER)


def html_has(html: str, selector: str) -> bool:
    """Whether ``html`` contains an element matching a simple CSS ``selector``."""
    if not html.strip():
        return False
    return bool(document(html).xpath(css_xpath(selector)))


def _name_for(doc: Any, locator: str | None, default: str) -> str:
    if locator and locator.startswith("#"):
        found = doc.xpath("//*[@id=$i]", i=locator[1:])
        if found and found[0].get("name"):
            return str(found[0].get("name"))
    return default


def parse_login_form(html: str, locators: Mapping[str, str], names: Mapping[str, str]) -> LoginForm:
    """Find the login form in ``html``; raises ValueError when there is none."""
    if not html.strip():
        raise ValueError("empty login page")
    doc = document(html)
    user_name = names.get("username") or _name_for(doc, locators.get("username"), "username")
    pass_name = names.get("password") or _name_for(doc, locators.get("password"), "password")
    forms = [f for f in doc.xpath("//form") if f.xpath(".//input[@name=$n]", n=pass_name)]
    if not forms:
        raise ValueError(f"no form with a {pass_name!r} field on the login page")
    form = forms[0]
    hidden = {str(i.get("name")): str(i.get("value") or "") for i in form.xpath(".//input[@type='hidden'][@name]")}
    inputs = form.xpath(".//input[@name]")
    secret = tuple(str(i.get("name")) for i in inputs if (i.get("type") or "").lower() == "password")
    return LoginForm(
        action=form.get("action"),
        fields=hidden,
        username_name=user_name,
        password_name=pass_name,
        password_fields=secret,
    )


def browser_origin(url: str) -> str:
    """The Origin header a browser sends for a page at ``url`` (a default port left out)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"https": 443, "http": 80}.get(parts.scheme)
    port = f":{parts.port}" if parts.port is not None and parts.port != default else ""
    return f"{parts.scheme}://{host}{port}"


#: send(method, path, **kw) -> Response: one request, redirects not followed, on the page's base.
Send = Callable[..., Any]


def submit_login_form(
    send: Send, page: PageSpec, username: str, password: str, names: Mapping[str, str] | None = None
) -> LoginOutcome:
    """GET the login page, then POST its form; success = a redirect away from the login page."""
    shown = send("GET", page.path)
    if shown.status_code != 200:
        raise CheckError(f"expected 200 for the login page, got {shown.status_code} for {shown.describe()}")
    try:
        form = parse_login_form(shown.text, page.locators, names or {})
    except ValueError as exc:
        raise CheckError(f"cannot read the login form of {shown.describe()}: {exc}") from exc
    data = dict(form.fields)
    data[form.username_name] = username
    data[form.password_name] = password
    # the action as a browser resolves it against the page ("", "?next=/", "login", "/ehr/login")
    action = urljoin(str(shown.url), form.action or "")
    resp = send(
        "POST",
        action,
        content=urlencode(data).encode(),
        # a browser posting a form says where from: frameworks that check CSRF on HTTPS
        # (Django) refuse a POST without Origin or Referer
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": browser_origin(str(shown.url)),
            "Referer": str(shown.url),
        },
    )
    if resp.status_code >= 500:
        raise CheckError(f"the login POST failed with {resp.status_code} ({resp.describe()})")
    location = resp.headers.get("location", "")
    # away from the login page as served (under the base URL's path, if it has one)
    success = 300 <= resp.status_code < 400 and urlsplit(location).path not in ("", urlsplit(str(shown.url)).path)
    return LoginOutcome(success, resp.status_code, location, resp.describe())


def csrf_headers(set_cookies: Iterable[str]) -> dict[str, str]:
    """The CSRF headers a page's script sends, from the Set-Cookie values it received.

    The last cookie named like a CSRF token wins; its value is URL-decoded (Angular and
    Laravel decode `XSRF-TOKEN` before echoing it). No such cookie: no header.
    """
    token = None
    for value in set_cookies:
        name, _, rest = value.split(";", 1)[0].partition("=")
        if _CSRF_COOKIE.search(name) and rest.strip():
            token = unquote(rest.strip().strip('"'))
    return dict.fromkeys(CSRF_HEADERS, token) if token else {}


def script_headers(page_url: str, set_cookies: Iterable[str]) -> dict[str, str]:
    """The headers a page's script adds to a request it sends: the page's `Origin` and
    `Referer`, and the CSRF cookie it received echoed (`csrf_headers`)."""
    return {"Origin": browser_origin(page_url), "Referer": page_url, **csrf_headers(set_cookies)}


def submit_login(
    send: Send,
    page: PageSpec,
    api: LoginApi | None,
    username: str,
    password: str,
    names: Mapping[str, str] | None = None,
) -> LoginOutcome:
    """Log in the way the auth entry says: its JSON login when it has one, else the page's form."""
    if api is None:
        return submit_login_form(send, page, username, password, names)
    return submit_login_api(send, page, api, username, password, names)


def submit_login_api(
    send: Send, page: PageSpec, api: LoginApi, username: str, password: str, names: Mapping[str, str] | None = None
) -> LoginOutcome:
    """Open the login page, ask for the CSRF cookie, POST the credentials as JSON (or
    form-encoded, `api.body`).

    Success is a 2xx, or a redirect away from the login page; 4xx is a refused login.
    """
    shown = send("GET", page.path)
    if shown.status_code != 200:
        raise CheckError(f"expected 200 for the login page, got {shown.status_code} for {shown.describe()}")
    cookies = list(shown.header_values("set-cookie"))
    if api.csrf:
        primed = send("GET", api.csrf)
        if primed.status_code >= 400:
            raise CheckError(f"the CSRF cookie request answered {primed.status_code} ({primed.describe()})")
        cookies += primed.header_values("set-cookie")
    names = names or {}
    body = {names.get("username") or "username": username, names.get("password") or "password": password}
    content, kind = api.encode(body)
    headers = script_headers(str(shown.url), cookies) | {"Content-Type": kind, "Accept": "application/json"}
    resp = send("POST", api.login, content=content, headers=headers)
    if resp.status_code >= 500:
        raise CheckError(f"the login POST failed with {resp.status_code} ({resp.describe()})")
    if resp.status_code == 415:  # the credentials were not read at all: no login was tried
        raise CheckError(f"the login takes no {kind} ({resp.describe()}): is the auth entry's api.body right?")
    location = resp.headers.get("location", "")
    redirected = 300 <= resp.status_code < 400 and urlsplit(location).path not in ("", urlsplit(str(shown.url)).path)
    success = 200 <= resp.status_code < 300 or redirected
    token = _token(resp, api.token) if success and api.token else None
    refresh = _token(resp, api.refresh_token, "refresh token") if success and api.refresh_token else None
    return LoginOutcome(success, resp.status_code, location, resp.describe(), token, refresh)


def refresh_session(send: Send, api: LoginApi, refresh: str | None, page_url: str, cookies: Iterable[str]) -> Any:
    """POST the refresh request the page's script sends when its access token lapses: the
    refresh token under the last part of `api.refresh_token`'s key (nothing when cookies
    hold it), with the script's headers; form-encoded with OAuth 2's
    `grant_type=refresh_token` when `api.body` is `form`. The answer, for the caller to read
    what it renewed; CheckError on a 5xx, or a 404/405 (the declared path is no refresh
    endpoint)."""
    if api.refresh is None:
        raise CheckError("the JSON login declares no api.refresh: no token refresh to ask")
    field = api.refresh_token if refresh else None  # None: the cookies hold the refresh token
    headers = script_headers(page_url, cookies)
    body = {"grant_type": "refresh_token"} if api.body == "form" else {}
    if field:
        kind, key = credential_field(field)
        (headers if kind == "header" else body)[key] = str(refresh)
    content, kind = api.encode(body)
    headers |= {"Content-Type": kind, "Accept": "application/json"}
    resp = send("POST", api.refresh, content=content, headers=headers)
    if resp.status_code >= 500 or resp.status_code in (404, 405):
        raise CheckError(f"the token refresh answered {resp.status_code} ({resp.describe()}): not a decision")
    return resp


def renewed_token(resp: Any, key: str) -> str | None:
    """The access token a refresh answered at `key`, None when it answered none (a refusal)."""
    if not 200 <= resp.status_code < 300:
        return None
    try:
        return _token(resp, key)
    except CheckError:
        return None


def _token(resp: Any, key: str, what: str = "access token") -> str:
    """The access token at `key` (dotted) of a login's JSON answer, or in the answer's header
    `key` names as `header:<name>` (devise-jwt answers `Authorization: Bearer ...`, a
    `Bearer ` before it dropped); CheckError without one."""
    if key.startswith("header:"):
        name = key.removeprefix("header:")
        words = str(resp.headers.get(name) or "").split()
        if words and words[0].lower() == "bearer":
            words = words[1:]
        if len(words) != 1:
            raise CheckError(f"the login answer ({resp.describe()}) has no {what} in its {name} header")
        return words[0]
    try:
        value: Any = json.loads(resp.content)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than a parser goes
        raise CheckError(f"the login answer is not JSON ({resp.describe()}): no {what} at {key!r}") from None
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise CheckError(f"the login answer ({resp.describe()}) has no {what} at {key!r}")
    return value.strip()
