"""Check `security.auth.endpoints_refuse_anonymous`: no endpoint of the inventory serves anonymous callers.

A request that changes something (POST, PUT, PATCH, DELETE) is sent as an anonymous
visitor who opened the public login page first sends it: with that visit's cookies, the
CSRF token of its form (as a form field and in the usual headers) or, when the page has
no such form (its scripts draw it), the CSRF cookie's value in those headers, as the
page's scripts echo it (the JSON login's `csrf` path asked for first, as they do), `Origin`
and `Referer`. Without them a CSRF protection refuses the request (Django answers 403)
before any authentication is asked, and an endpoint any visitor can call would pass as
refused. Each such request is sent by a visitor of its own: a logout probed first would
end the session holding the form's token, and every later request would be refused for it.

A redirect answering such a request is a refusal when it sends to the login page (or out
of the system, or to a public page) or where the system sends anonymous visitors of its
pages (the first redirect its pages answered them with). A 302 or 303 elsewhere (a note
saved, then the patient's page) says the request was taken: served, when the system was seen to send anonymous
visitors to its login page; otherwise what happened is not known (undecided).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from homolog import (
    CSRF_HEADERS,
    CheckError,
    Evidence,
    HttpClient,
    HttpError,
    Params,
    Target,
    browser_origin,
    check,
    fail,
    script_headers,
)
from homolog.suites.security.endpoint_inventory import (
    Endpoint,
    Inventory,
    InventoryLimits,
    add_capability_statement,
    add_extra_paths,
    add_openapi,
    add_page_map,
    crawl,
    is_public,
    public_patterns,
)
from homolog.suites.security.web_login import WebSession, parse_login_form
from homolog.suites.ui.browser import BrowserManager
from homolog.suites.ui.session import UiSession

CLAUSES = {
    "401": "RFC 9110 §15.5.2: 401 (Unauthorized) - the request lacks valid credentials "
    "(with WWW-Authenticate, §11.6.1)",
    "403": "RFC 9110 §15.5.4: 403 (Forbidden); a server may answer 404 instead to hide a resource it refuses",
    "requirement": "Mon espace santé MES-SEC-12: protected resources refuse every request without authentication",
}
_SAFE = ("GET", "HEAD", "OPTIONS")
_MAX_REDIRECTS = 5
_FORM = "application/x-www-form-urlencoded"
# hidden fields that carry a CSRF token (Django csrfmiddlewaretoken, Rails authenticity_token,
# Spring _csrf, Laravel _token), and the headers frameworks read one from
_TOKEN_FIELD = re.compile(r"csrf|xsrf|authenticity|(?:^|_)token$", re.IGNORECASE)


@dataclass(frozen=True)
class _Visitor:
    """What an anonymous visitor of the login page holds: its cookies, its form's CSRF tokens,
    the headers its scripts would echo a CSRF cookie in."""

    cookies: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    page: str | None = None
    scripted: dict[str, str] = field(default_factory=dict)

    def unsafe_request(self, ep: Endpoint) -> tuple[dict[str, str], bytes]:
        """Headers and body of an anonymous unsafe request carrying this visitor's material."""
        headers = {"Origin": browser_origin(ep.url), **self.scripted}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = ep.body or b""
        ctype = ep.content_type
        if self.tokens:
            token = next(iter(self.tokens.values()))
            headers.update(dict.fromkeys(CSRF_HEADERS, token))
            if not body or (ctype or "").split(";")[0].strip().lower() == _FORM:
                fields = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
                fields.update(self.tokens)
                body, ctype = urlencode(fields).encode(), _FORM
        if body and ctype:
            headers["Content-Type"] = ctype
        return headers, body


def _anonymous_visitor(http: HttpClient, target: Target) -> _Visitor:
    """Open the login page without credentials, as anyone can, and keep what it gives."""
    name = target.login_page("web")
    if name is None or name not in target.pages:
        return _Visitor()
    page = target.page(name)
    spec = target.auth("web")
    with WebSession(http, target, base=page.base) as visit:
        try:
            shown = visit.request("GET", page.path)
            if spec is not None and spec.api is not None and spec.api.csrf:
                visit.request("GET", spec.api.csrf)
        except HttpError:
            return _Visitor()
        tokens: dict[str, str] = {}
        if shown.status_code == 200:
            names = target.settings("security").get("login_fields") or {}
            try:
                form = parse_login_form(shown.text, page.locators, names)
            except ValueError:
                form = None
            if form is not None:
                tokens = {k: v for k, v in form.fields.items() if v and _TOKEN_FIELD.search(k)}
        scripted = script_headers(str(shown.url), (f"{k}={v}" for k, v in visit.cookies.items()))
        return _Visitor(dict(visit.cookies), tokens, str(shown.url), scripted)


class InventoryParams(Params):
    """Bounds of the crawl; whether to crawl the UI and to probe non-GET endpoints."""

    crawl: bool = True
    max_pages: int = 30
    max_depth: int = 2
    per_parent: int = 3
    probe_unsafe_methods: bool = True


def _probe(
    http: HttpClient,
    target: Target,
    ep: Endpoint,
    patterns: list[tuple[str, str]],
    visitor: _Visitor,
    sent_to: set[str],
) -> None:
    """Send the endpoint's request without credentials and classify what comes back.

    `sent_to`: where the system's redirects sent anonymous visitors of its pages first (the
    paths), added to by a safe request refused that way, read for an unsafe one."""
    login = target.login_path("web")
    if ep.method in _SAFE:
        headers = {"Content-Type": ep.content_type} if ep.body and ep.content_type else {}
        body = ep.body or b""
    else:
        headers, body = visitor.unsafe_request(ep)
    client = http.fresh()  # no credentials: at most an anonymous visitor's cookies
    first: str | None = None  # where the first redirect sent
    try:
        method, url = ep.method, ep.url
        for _ in range(_MAX_REDIRECTS + 1):
            resp = client.request(method, url, content=body or None, headers=headers, follow_redirects=False)
            ep.status = resp.status_code
            location = resp.headers.get("location")
            if not (300 <= resp.status_code < 400 and location):
                break
            nxt = urljoin(resp.url, location)
            path = urlsplit(nxt).path
            first = path if first is None else first
            if login is not None and path == login:
                ep.outcome, ep.detail = "refused", f"redirect to the login page {path}"
                break
            if not target.in_scope(nxt):
                ep.outcome, ep.detail = "refused", f"redirect out of the system to {urlsplit(nxt).netloc}"
                break
            if (why := is_public(path, patterns)) is not None:
                ep.outcome, ep.detail = "refused", f"redirect to a public page {path} ({why})"
                break
            if ep.method not in _SAFE and first == path and resp.status_code in (302, 303) and path not in sent_to:
                # taken, then sent on (a note saved, then the patient's page): not a refusal
                # when this system sends anonymous visitors straight to its login page
                where = f"{resp.status_code} to {path}, not where this system sends anonymous visitors"
                if login is not None and login in sent_to:
                    ep.outcome, ep.detail = "served", f"{where} (its login page {login}): the request was taken"
                else:
                    ep.outcome, ep.detail = "undecided", f"{where}: whether the request was taken is not known"
                return
            method, url, body = ("GET", nxt, b"") if resp.status_code in (301, 302, 303) else (method, nxt, body)
        else:
            ep.outcome, ep.detail = "undecided", "too many redirects"
            return
    except HttpError as exc:
        ep.outcome, ep.detail = "undecided", str(exc)
        return
    finally:
        client.close()
    if ep.outcome == "refused":
        if ep.method in _SAFE and first is not None:
            sent_to.add(first)
        return
    status = resp.status_code
    if 200 <= status < 300:
        ep.outcome = "served"
        ep.detail = f"{status} {resp.headers.get('content-type', '')} ({len(resp.content)} bytes) for {resp.describe()}"
    elif status in (401, 403):
        ep.outcome, ep.detail = "refused", f"{status}"
    elif status in (404, 410):
        ep.outcome, ep.detail = "refused", f"{status}: hidden from anonymous callers"
    elif status < 500:
        ep.outcome, ep.detail = "rejected", f"{status} without an authentication challenge (no data sent)"
    else:
        ep.outcome, ep.detail = "undecided", f"{status}: the server failed, refusal unknown"


@check("security.auth.endpoints_refuse_anonymous", params=InventoryParams)
def endpoints_refuse_anonymous(
    http: HttpClient, target: Target, params: InventoryParams, evidence: Evidence, ui_browser: BrowserManager
) -> None:
    """Every non-public endpoint the harness finds (pages, UI links, forms, XHR, APIs) refuses anonymous requests."""
    inv = Inventory(target, InventoryLimits(params.max_pages, params.max_depth, params.per_parent))
    add_page_map(inv)
    add_extra_paths(inv)
    add_capability_statement(inv, http)
    add_openapi(inv, http)
    if params.crawl:
        ui = UiSession(ui_browser, target, evidence, trace=False, http=http)
        try:
            crawl(inv, ui)
        finally:
            ui.close(failed=False)
    else:
        inv.notes.append("crawl: disabled by the referential (crawl: false)")
    patterns = public_patterns(target)
    visitor = _anonymous_visitor(http, target) if params.probe_unsafe_methods else _Visitor()
    if visitor.page:
        inv.notes.append(
            f"unsafe methods sent as an anonymous visitor of {urlsplit(visitor.page).path}: "
            f"{len(visitor.cookies)} cookie(s), CSRF field(s) {sorted(visitor.tokens) or 'none'}, "
            f"a CSRF cookie {'echoed' if CSRF_HEADERS[0] in visitor.scripted else 'none'}"
        )
    elif params.probe_unsafe_methods:
        inv.notes.append(
            "unsafe methods sent bare: no login page in the page map could be opened, so a refusal "
            "may be a CSRF protection's rather than authentication's"
        )
    probed: list[Endpoint] = []
    sent_to: set[str] = set()
    # the pages first: where their redirects send anonymous visitors tells a refusal of an
    # unsafe request from a request taken and then sent on
    for ep in sorted(inv, key=lambda e: e.method not in _SAFE):
        ep.public = is_public(ep.path, patterns)
        if ep.public is not None:
            ep.outcome = "public"
            continue
        if ep.method not in _SAFE and not params.probe_unsafe_methods:
            ep.outcome, ep.detail = "not probed", "non-GET endpoint and probe_unsafe_methods is false"
            continue
        if ep.method not in _SAFE and visitor.page:
            visitor = _anonymous_visitor(http, target)  # a visitor of its own (see the module doc)
        _probe(http, target, ep, patterns, visitor, sent_to)
        probed.append(ep)
    report: dict[str, Any] = {
        "clauses": CLAUSES,
        "sources": inv.notes,
        "public_paths": [p for p, _ in patterns],
        "endpoints": [ep.record() for ep in inv],
    }
    evidence.attach_json("endpoint-inventory.json", report)
    if not probed:
        raise CheckError(f"the inventory holds no non-public endpoint to probe ({'; '.join(inv.notes)})")
    served = [ep for ep in probed if ep.outcome == "served"]
    if served:
        fail(
            f"{len(served)} of {len(probed)} non-public endpoint(s) answer without credentials "
            f"({CLAUSES['requirement']}): "
            + "; ".join(
                f"{ep.method} {urlsplit(ep.url).path} [{', '.join(ep.sources[:2])}]: {ep.detail}" for ep in served[:5]
            )
        )
    undecided = [ep for ep in probed if ep.outcome == "undecided"]
    if undecided:
        raise CheckError(
            f"{len(undecided)} endpoint(s) could not be judged: "
            + "; ".join(f"{ep.method} {urlsplit(ep.url).path}: {ep.detail}" for ep in undecided[:5])
        )
