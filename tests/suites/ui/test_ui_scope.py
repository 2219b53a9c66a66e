"""The browser stays in the target's scope, and header credentials go to their origin only.

A UI session routes through its guard only the requests it must act on: every request
outside the target's (host, port) pairs (aborted and recorded) and the requests to the
origin of header credentials (sent on with the headers); the other requests go unrouted,
which is most of a check's requests. What the route cannot see (a redirect's next hop, a
WebSocket) the browser itself refuses: its only direct destinations are the scope's pairs
(`scope_args`). These tests serve real pages on 127.0.0.1: two servers in scope (`web`,
`api`) and one outside it (`other`: the same host, another port).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from homolog import BrowserCredentials, CheckError, load_target
from homolog.suites.ui.axe import decide_criterion, run_axe
from homolog.suites.ui.browser import scope_args
from homolog.suites.ui.keyboard_walk import walk_keyboard
from homolog.suites.ui.session import UiSession, _outside

pytestmark = pytest.mark.browser

Page = tuple[int, dict[str, str], bytes]


class Server:
    """An HTTP server on 127.0.0.1 answering `pages` by path (any other: 200, a few bytes) and
    keeping the path and headers of each request it received."""

    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.received: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                status, headers, body = server.pages.get(
                    self.path.split("?")[0], (200, {"Content-Type": "text/plain"}, b"ok")
                )
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body)), "Cache-Control": "no-store"}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def paths(self) -> list[str]:
        return [path for path, _ in self.received]

    def __enter__(self) -> Server:
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def servers() -> Iterator[tuple[Server, Server, Server]]:
    with Server() as web, Server() as api, Server() as other:
        html = (
            f'<!doctype html><html lang="fr"><title>t</title><h1>t</h1>'
            f'<img alt="" src="{other.url}/pixel.png"><img alt="" src="{api.url}/pixel.png">'
            f'<img alt="" src="/pixel.png"></html>'
        ).encode()
        web.pages["/page"] = (200, {"Content-Type": "text/html"}, html)
        web.pages["/hop"] = (302, {"Location": f"{other.url}/landing"}, b"")
        web.pages["/pixel-hop.png"] = (302, {"Location": f"{other.url}/hop-pixel.png"}, b"")
        hops = (
            '<!doctype html><html lang="fr"><title>t</title><h1>t</h1><img alt="" src="/pixel-hop.png">'
            f'<script>const s = new WebSocket("{other.url.replace("http", "ws")}/socket");'
            's.onclose = () => document.body.dataset.socket = "closed"</script></html>'
        )
        web.pages["/hops"] = (200, {"Content-Type": "text/html"}, hops.encode())
        yield web, api, other


@pytest.fixture
def ui(servers: tuple[Server, Server, Server], tmp_path: Path, ui_session: Callable[[Path], UiSession]) -> UiSession:
    web, api, _ = servers
    doc = {
        "format": "homolog.target/1",
        "system": {"name": "scope test", "version": "1.0.0", "vendor": "homolog"},
        "base_urls": {"web": web.url, "api": api.url},
        "options": {},
        "pages": {"page": {"path": "/page", "locators": {}}, "hop": {"path": "/hop", "locators": {}}},
    }
    path = tmp_path / "target.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return ui_session(path)


def _load(ui: UiSession, url: str) -> None:
    ui.page.goto(url, wait_until="load")


def test_requests_outside_the_scope_are_blocked_and_recorded(
    servers: tuple[Server, Server, Server], ui: UiSession
) -> None:
    web, api, other = servers
    _load(ui, web.url + "/page")
    assert other.received == []
    assert ui.blocked == [other.url + "/pixel.png"]
    assert "/pixel.png" in web.paths() and api.paths() == ["/pixel.png"]  # in scope: loaded


def test_a_page_that_redirects_out_of_the_scope_is_an_error(
    servers: tuple[Server, Server, Server], ui: UiSession
) -> None:
    """Playwright routes a request's first URL only: the browser itself refuses the
    redirect's next hop, and the page is an error naming where it went."""
    web, _, other = servers
    with pytest.raises(
        CheckError, match=r"page 'hop' .* out of the target's scope, to http://127\.0\.0\.1:\d+/landing"
    ):
        ui.goto("hop")
    assert web.paths() == ["/hop"]
    assert other.paths() == []
    assert ui.blocked == [other.url + "/landing"]


def test_what_the_route_does_not_see_never_leaves_the_scope(
    servers: tuple[Server, Server, Server], ui: UiSession
) -> None:
    """A subresource redirected out of the scope and a WebSocket opened there reach nothing;
    the hop is recorded with the blocked requests."""
    web, _, other = servers
    ui.page.goto(web.url + "/hops", wait_until="load")
    ui.page.wait_for_function("document.body.dataset.socket === 'closed'")  # the WebSocket tried and gave up
    assert "/pixel-hop.png" in web.paths()
    assert other.received == []
    assert ui.blocked == [other.url + "/hop-pixel.png"]


def test_frames_are_audited_in_scope_and_undecided_out_of_it(
    servers: tuple[Server, Server, Server], ui: UiSession
) -> None:
    """A frame the target serves from another of its origins is audited with its page (its
    image without alt fails RGAA 1.1); a frame out of the scope, which the browser did not
    load, is not: the browser's error page standing for it is not what a visitor sees, and
    the criterion is undecided, naming the frame."""
    web, api, other = servers
    scan = b'<!doctype html><html lang="fr"><title>cr</title><p>Compte rendu</p><img src="/scan.png"></html>'
    api.pages["/viewer"] = (200, {"Content-Type": "text/html"}, scan)
    other.pages["/viewer"] = (200, {"Content-Type": "text/html"}, scan)
    for name, origin in (("in-scope", api.url), ("out-of-scope", other.url)):
        page = (
            '<!doctype html><html lang="fr"><title>t</title><main><h1>t</h1>'
            f'<iframe title="Compte rendu" width="400" height="100" src="{origin}/viewer"></iframe></main></html>'
        )
        web.pages[f"/{name}"] = (200, {"Content-Type": "text/html"}, page.encode())
    _load(ui, web.url + "/in-scope")
    inside = decide_criterion("1.1", [run_axe(ui.page, "in-scope")])
    assert inside.verdict == "failed" and "iframe img" in inside.message, inside
    _load(ui, web.url + "/out-of-scope")
    audited = run_axe(ui.page, "out-of-scope")
    assert audited.unaudited_frames == (f'iframe "Compte rendu" ({other.url}/viewer)',)
    outside = decide_criterion("1.1", [audited])
    assert outside.verdict == "error" and "could not audit what these frames show" in outside.message, outside
    # the page's title is the top document's alone: what its frames show does not change it
    assert decide_criterion("8.5", [audited]).verdict == "passed"
    # the keyboard walk goes into the frame in scope, not into the browser's error page
    inside_walk = walk_keyboard(ui.page, "out-of-scope")
    assert inside_walk.frames_not_walked == ['iframe "Compte rendu"'], inside_walk.to_json()
    _load(ui, web.url + "/in-scope")
    assert walk_keyboard(ui.page, "in-scope").frames_not_walked == []
    assert other.received == []


def test_the_browser_s_destinations_are_the_scope_s_pairs_only() -> None:
    """Loopback loses its exemption; a name that would widen a bypass rule is left out (so
    blocked), an IPv6 address is bracketed, an international name goes as Chromium writes it."""
    hosts = {("127.0.0.1", 8443), ("::1", 80), ("portail.example.fr", 443), ("*.example.fr", 443)}
    hosts |= {("a;b", 80), ("hôpital.example", 443)}
    assert scope_args(hosts, 4242) == [
        "--proxy-server=http://127.0.0.1:4242",
        "--proxy-bypass-list=<-loopback>;127.0.0.1:8443;[::1]:80;xn--hpital-ixa.example:443;portail.example.fr:443",
    ]


def test_header_credentials_go_to_their_origin_only(servers: tuple[Server, Server, Server], ui: UiSession) -> None:
    web, api, other = servers
    _load(ui, web.url + "/page")  # the context is open when the credentials come
    web.received.clear()
    api.received.clear()
    origin = web.url  # written with its port, as `origin_of` writes an origin
    ui._carry(BrowserCredentials(name="web", kind="bearer", origin=origin, headers={"Authorization": "Bearer s3cr3t"}))
    _load(ui, web.url + "/page?again")
    sent = {path: headers.get("authorization") for path, headers in web.received}
    assert sent == {"/page?again": "Bearer s3cr3t", "/pixel.png": "Bearer s3cr3t"}
    assert [headers.get("authorization") for _, headers in api.received] == [None]
    assert other.received == []


def test_credentials_carried_before_the_context_opens_are_sent(
    servers: tuple[Server, Server, Server], ui: UiSession
) -> None:
    web, _, _ = servers
    assert not ui.started
    ui._carry(BrowserCredentials(name="web", kind="header", origin=web.url, headers={"X-Api-Key": "k3y"}))
    _load(ui, web.url + "/page")
    assert {headers.get("x-api-key") for _, headers in web.received} == {"k3y"}


# URLs of the hosts in scope below and around them: each must be routed unless certainly in scope
HOSTS = frozenset({("127.0.0.1", 8443), ("portail.example.fr", 443), ("::1", 80), ("api-x.example.fr", 80)})
URLS = [
    "https://127.0.0.1:8443/",
    "https://127.0.0.1:8443",
    "https://127.0.0.1:8443?q=1",
    "https://127.0.0.1:8443#top",
    "http://127.0.0.1:8443/path",
    "https://127.0.0.1:18443/",
    "https://127.0.0.1:844/",
    "https://127.0.0.10:8443/",
    "https://127.0.0.1/",
    "https://portail.example.fr/",
    "http://portail.example.fr:443/",
    "https://portail.example.fr:443/",  # Chromium never writes the default port
    "https://portail.example.fr.evil.test/",
    "https://portail.example.fr@evil.test/",
    "https://user:pw@portail.example.fr/",
    "https://portail-example.fr/",
    "https://portailXexample.fr/",
    "http://[::1]/",
    "http://[::1]:8080/",
    "https://[::1]/",
    "http://api-x.example.fr/v1",
    "http://api-x.example.fr:8080/",
    "ws://127.0.0.1:8443/socket",
    "ftp://127.0.0.1:8443/",
    "https://evil.test/",
]


def test_the_route_pattern_leaves_out_only_urls_in_scope_in_python_and_in_the_browser(
    servers: tuple[Server, Server, Server], ui: UiSession, tmp_path: Path
) -> None:
    """The driver (JavaScript) decides which requests reach the guard, the Python client which
    handler takes one: both must read the pattern alike, and never leave out a URL outside."""
    pattern = _outside(HOSTS)
    doc = {"format": "homolog.target/1", "system": {"name": "s", "version": "1", "vendor": "v"}, "options": {}}
    doc["base_urls"] = {f"b{i}": f"http://{'[::1]' if h == '::1' else h}:{p}" for i, (h, p) in enumerate(sorted(HOSTS))}
    path = tmp_path / "hosts.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    target = load_target(path)
    assert target.hosts == HOSTS
    in_python = {url: bool(pattern.search(url)) for url in URLS}
    _load(ui, servers[0].url + "/page")
    in_browser = ui.page.evaluate(
        "([source, urls]) => Object.fromEntries(urls.map(u => [u, new RegExp(source).test(u)]))",
        [pattern.pattern, URLS],
    )
    assert in_browser == in_python
    routed = {url for url, hit in in_python.items() if hit}
    assert {url for url in URLS if not target.in_scope(url)} <= routed
    assert set(URLS) - routed == {
        "https://127.0.0.1:8443/",
        "https://127.0.0.1:8443",
        "https://127.0.0.1:8443?q=1",
        "https://127.0.0.1:8443#top",
        "http://127.0.0.1:8443/path",
        "https://portail.example.fr/",
        "http://portail.example.fr:443/",
        "https://portail.example.fr:443/",
        "http://[::1]/",
        "http://api-x.example.fr/v1",
    }
