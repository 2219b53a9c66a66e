"""The endpoint inventory: every endpoint of the system the harness can find, and who may call it.

Sources, each optional and each noted in the inventory:

- the page map (``pages``), placeholders filled from ``data``;
- a crawl of the authenticated web UI in Chromium: links and forms of each page reached
  from the pages of the page map, within the web base and a bounded depth and number of
  pages, and the XHR/fetch requests the pages make (Playwright request events);
- the FHIR CapabilityStatement (``[fhir]/metadata``): each type's search endpoint;
- an OpenAPI document (``settings.security.inventory.openapi``: ``base:/path`` on the
  system, or a file path relative to the target file);
- extra endpoints listed in ``settings.security.inventory.paths`` (``"POST base:/path"``,
  ``"base:/path"``, or ``"/path"`` on the web base).

Public endpoints are the page map's login page and what ``settings.security.public_paths``
names (glob patterns on the URL path, e.g. ``/static/*``); nothing else is assumed public.
The crawl never submits a form and never opens the page map's ``logout`` page nor what
``settings.security.inventory.crawl_exclude`` names (glob patterns).
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import posixpath
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urljoin, urlsplit

import yaml

from homolog import CheckError, HttpClient, Response, Target
from homolog.suites.ui.static_page import not_final_reason

__all__ = [
    "Endpoint",
    "Inventory",
    "InventoryLimits",
    "add_capability_statement",
    "add_extra_paths",
    "add_openapi",
    "add_page_map",
    "crawl",
    "declared_paths",
    "inventory_settings",
    "public_patterns",
]

_MAX_BODY = 64 * 1024  # bytes of an XHR body kept for the replay
_METHODS = ("get", "post", "put", "patch", "delete")
_LOGOUT_PAGE = "logout"
# Pages the crawl loads at once: each waits for its network to idle (500 ms at least), the waits
# overlap. Playwright starts Chromium with background timer throttling and renderer backgrounding
# off, so a tab that is not in front runs its scripts (and their delayed calls) on time.
_TABS = 4


@dataclass
class Endpoint:
    """One endpoint: method and absolute URL, where it was found, what an anonymous request got."""

    method: str
    url: str
    sources: list[str] = field(default_factory=list)
    body: bytes | None = None
    content_type: str | None = None
    public: str | None = None
    outcome: str | None = None
    status: int | None = None
    detail: str = ""

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"

    def record(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "url": self.url,
            "sources": self.sources,
            "public": self.public,
            "replayed_body_bytes": len(self.body) if self.body else 0,
            "anonymous_status": self.status,
            "outcome": self.outcome,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class InventoryLimits:
    """Bounds of the crawl and of the probing."""

    max_pages: int = 30
    max_depth: int = 2
    per_parent: int = 3  # /patients/1, /patients/2 ...: at most this many siblings


class Inventory:
    """Endpoints keyed by method, path and the names of their query parameters."""

    def __init__(self, target: Target, limits: InventoryLimits) -> None:
        self.target = target
        self.limits = limits
        self.endpoints: dict[tuple[str, str, tuple[str, ...]], Endpoint] = {}
        self.notes: list[str] = []
        self._siblings: dict[tuple[str, str], int] = {}

    def add(
        self,
        method: str,
        url: str,
        source: str,
        *,
        body: bytes | None = None,
        content_type: str | None = None,
        bounded: bool = False,
    ) -> Endpoint | None:
        """Record an endpoint (None when out of the target's scope, or over the sibling bound
        when ``bounded``: crawled links to /patients/1, /patients/2 ... are one endpoint shape)."""
        url = url.split("#", 1)[0]
        if not self.target.in_scope(url):
            return None
        parts = urlsplit(url)
        key = (method.upper(), parts.path or "/", tuple(sorted({k for k, _ in parse_qsl(parts.query)})))
        found = self.endpoints.get(key)
        if found is None:
            parent = (method.upper(), posixpath.dirname(parts.path.rstrip("/")))
            if bounded and self._siblings.get(parent, 0) >= self.limits.per_parent:
                return None
            self._siblings[parent] = self._siblings.get(parent, 0) + 1
            found = self.endpoints[key] = Endpoint(method.upper(), url, body=body, content_type=content_type)
        if source not in found.sources:
            found.sources.append(source)
        if body and not found.body:
            found.body, found.content_type = body, content_type
        return found

    def __iter__(self) -> Iterator[Endpoint]:
        return iter(self.endpoints.values())


def inventory_settings(target: Target) -> dict[str, Any]:
    value = target.settings("security").get("inventory") or {}
    if not isinstance(value, dict):
        raise CheckError("settings.security.inventory must be a mapping")
    return dict(value)


def _patterns(value: Any, key: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CheckError(f"settings.security.{key} must be a list of path patterns")
    return list(value)


def _served(target: Target, patterns: list[str]) -> list[str]:
    """Path patterns as requests carry them: a pattern written from the web base (`/static/*`
    for a system published at https://host/ehr/) holds under the base's path too."""
    prefix = urlsplit(target.base_url("web")).path.rstrip("/") if "web" in target.base_urls else ""
    out: list[str] = []
    for pattern in patterns:
        out.append(pattern)
        if prefix and pattern.startswith("/") and not pattern.startswith(prefix + "/"):
            out.append(prefix + pattern)
    return out


def public_patterns(target: Target) -> list[tuple[str, str]]:
    """(pattern, why) of the public paths: the login page and settings.security.public_paths."""
    out = []
    login = target.login_path("web")
    if login is not None:
        out.append((login, "the page map's login page"))
    for pattern in _served(target, _patterns(target.settings("security").get("public_paths"), "public_paths")):
        out.append((pattern, "settings.security.public_paths"))
    return out


def is_public(path: str, patterns: list[tuple[str, str]]) -> str | None:
    for pattern, why in patterns:
        if fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path.rstrip("/") or "/", pattern):
            return f"{why} ({pattern})"
    return None


def _fill(path: str, data: Any, *, probe: str = "homolog-probe") -> str:
    names = [n for _, n, _, _ in string.Formatter().parse(path) if n]
    values = {}
    for name in names:
        value = data.get(name)
        values[name] = quote(str(value), safe="") if isinstance(value, str | int) else probe
    return path.format(**values) if names else path


def add_page_map(inv: Inventory) -> None:
    target = inv.target
    pages = target.raw.get("pages") or {}
    for name in pages:
        page = target.page(name)
        if page.base not in target.base_urls:
            continue
        inv.add("GET", target.url(_fill(page.path, target.data), page.base), f"page map: {name}")
    inv.notes.append(f"page map: {len(pages)} page(s)")


def declared_paths(target: Target) -> list[tuple[str, str, str]]:
    """The endpoints `settings.security.inventory.paths` declares ("METHOD base:/path"; a
    bare path is the web base's, no method GET): (method, base, path), the target's data
    filled in."""
    items = inventory_settings(target).get("paths") or []
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise CheckError('settings.security.inventory.paths must be a list of "METHOD base:/path" strings')
    found = []
    for item in items:
        method, _, rest = item.strip().rpartition(" ")
        base, sep, path = rest.partition(":")
        if not sep or rest.startswith("/"):
            base, path = "web", rest
        if base not in target.base_urls:
            raise CheckError(f"settings.security.inventory.paths: {item!r} names no declared base")
        found.append((method.upper() or "GET", base, _fill(path, target.data)))
    return found


def add_extra_paths(inv: Inventory) -> None:
    declared = declared_paths(inv.target)
    for method, base, path in declared:
        inv.add(method, inv.target.url(path, base), "settings.security.inventory.paths")
    if declared:
        inv.notes.append(f"target: {len(declared)} extra endpoint(s)")


def add_capability_statement(inv: Inventory, http: HttpClient) -> None:
    """Each declared resource type's search endpoint, and the metadata endpoint itself."""
    target = inv.target
    if "fhir" not in target.base_urls:
        inv.notes.append("FHIR: no fhir base declared")
        return
    auth = "fhir" if target.auth("fhir") is not None else None
    resp = http.get("/metadata", base="fhir", auth=auth, headers={"Accept": "application/fhir+json"})
    inv.add("GET", target.url("/metadata", "fhir"), "FHIR: metadata")
    try:
        cap = json.loads(resp.content) if resp.status_code == 200 else None
    except (ValueError, UnicodeDecodeError):
        cap = None
    if not isinstance(cap, dict):
        raise CheckError(f"the FHIR CapabilityStatement could not be read ({resp.describe()} -> {resp.status_code})")
    types = 0
    for rest in cap.get("rest") or []:
        for res in (rest.get("resource") or []) if isinstance(rest, dict) else []:
            if not isinstance(res, dict) or not isinstance(res.get("type"), str):
                continue
            codes = {i.get("code") for i in res.get("interaction") or [] if isinstance(i, dict)}
            if "search-type" in codes:
                types += 1
                inv.add("GET", target.url(f"/{quote(res['type'], safe='')}", "fhir"), "FHIR: CapabilityStatement")
    inv.notes.append(f"FHIR CapabilityStatement: {types} searchable type(s)")


def _load_document(inv: Inventory, http: HttpClient, where: str) -> tuple[Any, str]:
    base, sep, path = where.partition(":")
    if sep and base in inv.target.base_urls and path.startswith("/"):
        auth = (
            base if (spec := inv.target.auth(base)) is not None and spec.type in ("bearer", "basic", "header") else None
        )
        resp: Response = http.get(path, base=base, auth=auth)
        if resp.status_code != 200:
            raise CheckError(f"the OpenAPI document {where} answered {resp.status_code} ({resp.describe()})")
        text, origin = resp.text, resp.url
    else:
        file = inv.target.resolve_path(where)
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise CheckError(f"settings.security.inventory.openapi: cannot read {file}: {exc}") from None
        origin = inv.target.base_url("web")
    try:
        doc = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise CheckError(f"the OpenAPI document {where} is neither JSON nor YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("paths"), dict):
        raise CheckError(f"the OpenAPI document {where} has no paths")
    return doc, origin


def add_openapi(inv: Inventory, http: HttpClient) -> None:
    where = inventory_settings(inv.target).get("openapi")
    if not where:
        inv.notes.append("OpenAPI: none given (settings.security.inventory.openapi)")
        return
    doc, origin = _load_document(inv, http, str(where))
    servers = [s.get("url") for s in doc.get("servers") or [] if isinstance(s, dict) and isinstance(s.get("url"), str)]
    root = urljoin(origin, servers[0] if servers else "/")
    count = 0
    for path, ops in doc["paths"].items():
        if not isinstance(ops, dict) or not isinstance(path, str):
            continue
        for method in _METHODS:
            if method in ops:
                count += 1
                url = root.rstrip("/") + "/" + _fill(path, inv.target.data).lstrip("/")
                inv.add(method.upper(), url, f"OpenAPI: {method.upper()} {path}")
    inv.notes.append(f"OpenAPI {where}: {count} operation(s)")


def _load(tab: Any, response: Any) -> Exception | None:
    """Wait for the tab's page to load and its network to go idle; the error if it did not load.

    A document that provably runs no script of its own (`static_page`) makes no XHR/fetch
    call and has its final links and forms at `load`: it is not given the idle wait.
    """
    try:
        tab.wait_for_load_state("load")
        if not_final_reason(tab, response) is not None:
            tab.wait_for_load_state("networkidle", timeout=3000)
    except Exception as exc:  # a page that does not load is noted, the crawl goes on
        return exc
    return None


def crawl(inv: Inventory, ui: Any) -> None:
    """Log in through the page map, then follow links (GET only) and record forms and XHR/fetch.

    Pages are visited breadth-first, ``_TABS`` at a time in tabs of one browser context (one
    session): each page is given its network-idle wait for the XHR/fetch calls it makes (not
    one that provably runs no script of its own: it makes none), and the waits of a batch
    overlap. Links, forms and calls are taken in queue order, so the inventory is the one a
    page-by-page crawl builds.
    """
    target = inv.target
    if target.auth("web") is None or "login" not in (target.raw.get("pages") or {}):
        inv.notes.append("crawl: skipped, no web login declared (auth.web and pages.login)")
        return
    web = target.base_url("web")
    root = urlsplit(web)
    exclude = _served(target, _patterns(inventory_settings(target).get("crawl_exclude"), "inventory.crawl_exclude"))
    if _LOGOUT_PAGE in target.pages:
        exclude.append(target.served_path(_LOGOUT_PAGE))
    login_path = target.login_path("web")
    # XHR/fetch calls by visit (-1: the login), so their order does not depend on which tab was faster
    calls: dict[int, list[tuple[str, str, bytes | None, str | None, str]]] = {}
    showing: dict[int, tuple[int, str]] = {}  # id(tab) -> (visit, path) of what the tab shows
    visits = itertools.count()

    def recorder(tab: Any) -> Any:
        def on_request(req: Any) -> None:
            if req.resource_type in ("xhr", "fetch"):
                try:
                    body = req.post_data_buffer
                except Exception:  # a body Playwright cannot give is not replayed
                    body = None
                ctype = (req.headers or {}).get("content-type")
                body = body[:_MAX_BODY] if body else None
                visit, path = showing.get(id(tab), (-1, ""))
                calls.setdefault(visit, []).append((req.method, req.url, body, ctype, path))

        return on_request

    ui.login()
    tabs = [ui.page]
    tabs[0].on("request", recorder(tabs[0]))
    queue: list[tuple[str, int]] = [(tabs[0].url, 0)]
    for name in target.pages:
        spec = target.page(name)
        if spec.base == "web" and name not in (target.login_page("web"), _LOGOUT_PAGE):
            queue.append((target.url(_fill(spec.path, target.data), "web"), 1))
    visited: set[str] = set()
    relogins = 0
    stopped = False
    while queue and len(visited) < inv.limits.max_pages and not stopped:
        batch: list[tuple[str, int]] = []
        while queue and len(batch) < _TABS and len(visited) < inv.limits.max_pages:
            url, depth = queue.pop(0)
            parts = urlsplit(url)
            if url in visited or (parts.scheme, parts.netloc) != (root.scheme, root.netloc):
                continue
            if any(fnmatch.fnmatchcase(parts.path, p) for p in exclude):
                continue
            visited.add(url)
            batch.append((url, depth))
        while len(tabs) < len(batch):
            tabs.append(ui.context.new_page())
            tabs[-1].on("request", recorder(tabs[-1]))
        started: list[tuple[Any, Exception | None]] = []  # (response, error) of each goto
        for tab, (url, _) in zip(tabs, batch, strict=False):
            showing[id(tab)] = (next(visits), urlsplit(url).path)
            try:
                started.append((tab.goto(url, wait_until="commit"), None))
            except Exception as exc:
                started.append((None, exc))
        for i, (tab, (url, depth)) in enumerate(zip(tabs, batch, strict=False)):
            path = urlsplit(url).path
            response, error = started[i]
            error = error or _load(tab, response)
            if error is not None and "Timeout" not in type(error).__name__:
                inv.notes.append(f"crawl: {path} did not load ({str(error).splitlines()[0][:120]})")
            if urlsplit(tab.url).path == login_path and path != login_path:
                if relogins >= 2:
                    inv.notes.append("crawl: the session keeps ending; crawl stopped")
                    stopped = True
                    break
                relogins += 1
                inv.notes.append(f"crawl: the session ended after {path}; logged in again")
                # the rest of the batch was loaded in the ended session: visited again after the login
                for later in batch[i + 1 :]:
                    visited.discard(later[0])
                queue[:0] = batch[i + 1 :]
                showing[id(tabs[0])] = (next(visits), "")
                ui.login()
                break
            links = tab.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
            forms = tab.eval_on_selector_all(
                "form", "fs => fs.map(f => [(f.getAttribute('method') || 'get').toUpperCase(), f.action])"
            )
            for link in links if isinstance(links, list) else []:
                if (
                    isinstance(link, str)
                    and link.startswith(("http://", "https://"))
                    and inv.add("GET", link, f"link on {path}", bounded=True) is not None
                    and depth + 1 <= inv.limits.max_depth
                ):
                    queue.append((link.split("#", 1)[0], depth + 1))
            for form in forms if isinstance(forms, list) else []:
                if isinstance(form, list) and len(form) == 2 and isinstance(form[1], str):
                    inv.add(str(form[0]), form[1], f"form on {path}")
    seen_requests = [call for visit in sorted(calls) for call in calls[visit]]
    for method, url, body, ctype, on_page in seen_requests:
        inv.add(method, url, f"XHR/fetch from {on_page or 'login'}", body=body, content_type=ctype)
    inv.notes.append(
        f"crawl: {len(visited)} page(s) visited (max {inv.limits.max_pages}, depth {inv.limits.max_depth}), "
        f"{len(seen_requests)} XHR/fetch request(s) seen"
    )
