"""Check `security.auth.endpoints_refuse_anonymous`: no endpoint of the inventory serves anonymous callers."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from homolog import CheckError, Evidence, HttpClient, HttpError, Params, Target, check, fail
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


class InventoryParams(Params):
    """Bounds of the crawl; whether to crawl the UI and to probe non-GET endpoints."""

    crawl: bool = True
    max_pages: int = 30
    max_depth: int = 2
    per_parent: int = 3
    probe_unsafe_methods: bool = True


def _probe(http: HttpClient, target: Target, ep: Endpoint, patterns: list[tuple[str, str]]) -> None:
    """Send the endpoint's request without credentials and classify what comes back."""
    login = target.page("login").path if "login" in (target.raw.get("pages") or {}) else None
    headers = {"Content-Type": ep.content_type} if ep.body and ep.content_type else {}
    client = http.fresh()  # no cookie, no Authorization
    try:
        method, url, body = ep.method, ep.url, ep.body or b""
        for _ in range(_MAX_REDIRECTS + 1):
            resp = client.request(method, url, content=body or None, headers=headers, follow_redirects=False)
            ep.status = resp.status_code
            location = resp.headers.get("location")
            if not (300 <= resp.status_code < 400 and location):
                break
            nxt = urljoin(resp.url, location)
            path = urlsplit(nxt).path
            if login is not None and path == login:
                ep.outcome, ep.detail = "refused", f"redirect to the login page {path}"
                return
            if not target.in_scope(nxt):
                ep.outcome, ep.detail = "refused", f"redirect out of the system to {urlsplit(nxt).netloc}"
                return
            if (why := is_public(path, patterns)) is not None:
                ep.outcome, ep.detail = "refused", f"redirect to a public page {path} ({why})"
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
    probed: list[Endpoint] = []
    for ep in inv:
        ep.public = is_public(ep.path, patterns)
        if ep.public is not None:
            ep.outcome = "public"
            continue
        if ep.method not in _SAFE and not params.probe_unsafe_methods:
            ep.outcome, ep.detail = "not probed", "non-GET endpoint and probe_unsafe_methods is false"
            continue
        _probe(http, target, ep, patterns)
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
