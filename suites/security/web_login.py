"""HTTP-level form login against the target's web UI, with a cookie jar of its own.

The login page is read with a non-networking HTML parser; field names come from the
page map locators (``#username`` -> the ``name`` of the element with that id) or from
``settings.security.login_fields``; the hidden CSRF field defaults to ``csrf_token``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import lxml.html

from homolog import CheckError, HttpClient, Response, Target

__all__ = [
    "LoginForm",
    "LoginResult",
    "WebSession",
    "account",
    "html_has",
    "parse_login_form",
    "refused_web",
    "try_login",
]

_PARSER = lxml.html.HTMLParser(no_network=True, remove_comments=True)


@dataclass(frozen=True)
class LoginForm:
    """What is needed to post the login form."""

    action: str | None
    fields: dict[str, str]  # hidden inputs to send back (CSRF token ...)
    username_name: str
    password_name: str


def _simple_css_to_xpath(selector: str) -> str:
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


def html_has(html: str, selector: str) -> bool:
    """Whether ``html`` contains an element matching a simple CSS ``selector``."""
    if not html.strip():
        return False
    doc = lxml.html.document_fromstring(html, parser=_PARSER)
    return bool(doc.xpath(_simple_css_to_xpath(selector)))


def _name_for(doc: Any, locator: str | None, default: str) -> str:
    if locator and locator.startswith("#"):
        found = doc.xpath("//*[@id=$i]", i=locator[1:])
        if found and found[0].get("name"):
            return str(found[0].get("name"))
    return default


def parse_login_form(html: str, locators: dict[str, str], names: dict[str, str]) -> LoginForm:
    """Find the login form in ``html``; raises ValueError when there is none."""
    if not html.strip():
        raise ValueError("empty login page")
    doc = lxml.html.document_fromstring(html, parser=_PARSER)
    user_name = names.get("username") or _name_for(doc, locators.get("username"), "username")
    pass_name = names.get("password") or _name_for(doc, locators.get("password"), "password")
    forms = [f for f in doc.xpath("//form") if f.xpath(".//input[@name=$n]", n=pass_name)]
    if not forms:
        raise ValueError(f"no form with a {pass_name!r} field on the login page")
    form = forms[0]
    hidden = {str(i.get("name")): str(i.get("value") or "") for i in form.xpath(".//input[@type='hidden'][@name]")}
    return LoginForm(action=form.get("action"), fields=hidden, username_name=user_name, password_name=pass_name)


@dataclass
class LoginResult:
    """Outcome of one login attempt."""

    success: bool
    status: int
    location: str
    described: str
    set_cookies: list[str] = field(default_factory=list)


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
    ) -> None:
        self.client = http.fresh()
        self.target = target
        self.base = base
        self.cookies: dict[str, str] = dict(cookies or {})
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
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.client.cookies.clear()
        resp = self.client.request(method, path, base=self.base, headers=headers, follow_redirects=False, **kw)
        for value in resp.header_values("set-cookie"):
            self.seen_set_cookies.append(value)
            pair = value.split(";", 1)[0]
            name, _, val = pair.partition("=")
            attrs = value.lower()
            # An expired or emptied cookie is the server dropping it.
            if not val or "max-age=0" in attrs or "expires=thu, 01 jan 1970" in attrs:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = val.strip()
        return resp

    def login(self, username: str, password: str) -> LoginResult:
        """GET the login page, then POST the form; success = redirect away from login."""
        login = self.target.page("login")
        sec = self.target.settings("security")
        page = self.request("GET", login.path)
        if page.status_code != 200:
            raise CheckError(f"expected 200 for the login page, got {page.status_code} for {page.describe()}")
        try:
            form = parse_login_form(
                page.text,
                dict(login.locators),
                dict(sec.get("login_fields", {}) or {}),
            )
        except ValueError as exc:
            raise CheckError(f"cannot read the login form of {page.describe()}: {exc}") from exc
        data = dict(form.fields)
        data[form.username_name] = username
        data[form.password_name] = password
        action = form.action or login.path
        if action.startswith(("http://", "https://")):
            action = urlsplit(action).path or "/"
        before = len(self.seen_set_cookies)
        resp = self.request(
            "POST",
            action,
            content=urlencode(data).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        location = resp.headers.get("location", "")
        loc_path = urlsplit(location).path
        success = 300 <= resp.status_code < 400 and loc_path not in ("", login.path)
        if resp.status_code >= 500:
            raise CheckError(f"the login POST failed with {resp.status_code} ({resp.describe()})")
        return LoginResult(
            success=success,
            status=resp.status_code,
            location=location,
            described=resp.describe(),
            set_cookies=self.seen_set_cookies[before:],
        )


def try_login(http: HttpClient, target: Target, username: str, password: str) -> LoginResult:
    """One login attempt in a session of its own (closed afterwards)."""
    with WebSession(http, target) as session:
        return session.login(username, password)


def account(target: Target, name: str) -> tuple[str, str]:
    """(username, password) of the target's auth entry ``name`` (a form account)."""
    spec = target.auth(name)
    if spec is None or not spec.username:
        raise CheckError(f"the target declares no auth.{name} account with a username")
    return spec.username, target.secret_value(name, "password")


def refused_web(resp: Response, login_path: str) -> bool:
    """The answer refuses the visitor: 401/403, or a redirect to the login page."""
    status = resp.status_code
    if status in (401, 403):
        return True
    if 300 <= status < 400:
        return urlsplit(str(resp.headers.get("location", ""))).path == login_path
    return False
