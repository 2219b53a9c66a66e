"""HTML login forms read without a browser: the form of a page, its field names, its posting.

The page is parsed with a non-networking HTML parser. Field names come from the page
map's locators (`#username` -> the `name` of the element with that id), else from
explicit names, else `username` / `password`; hidden fields (a CSRF token) are sent
back as found.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import lxml.html

from ..errors import CheckError
from ..target import PageSpec

__all__ = [
    "LoginForm",
    "LoginOutcome",
    "browser_origin",
    "css_xpath",
    "html_has",
    "parse_login_form",
    "submit_login_form",
]

_PARSER = lxml.html.HTMLParser(no_network=True, remove_comments=True)


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
