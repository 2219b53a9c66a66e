"""A document is audited at `load` only when it provably cannot change any more.

Each page that could still change after `load` (a script that removed itself, an event
handler fired by a CSS animation, a script in a closed shadow root, a refresh...) changes
its DOM 300 ms after `load`: the settled page must show the change (it waited), and the
settle record must say why it waited. The pages that cannot change are final at load.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from homolog import CheckError
from homolog.suites.ui.browser import CHROMIUM_ARGS, CHROMIUM_PATH
from homolog.suites.ui.settle import WATCH_JS, settle_page
from homolog.suites.ui.static_page import MAX_ELEMENTS, not_final_reason

pytestmark = pytest.mark.browser

_HEAD = b"<!doctype html><html lang=fr><head><meta charset=utf-8><title>t</title>"
_LATE = b"setTimeout(() => document.body.append('LATE'), 300)"

PAGES: dict[str, tuple[bytes, dict[str, str]]] = {
    "static": (_HEAD + b"</head><body><h1>Dossier</h1><p>Texte</p><img src=pixel.gif alt=x></body></html>", {}),
    "data-block": (
        _HEAD + b'<script type="application/ld+json">{"a": 1}</script></head><body><h1>Dossier</h1>'
        b'<script type=" Text/Template ">{{x}}</script></body></html>',
        {},
    ),
    "module-script": (
        _HEAD + b'</head><body><h1>Dossier</h1><script type=" MODULE ">' + _LATE + b"</script></body></html>",
        {},
    ),
    "autofocus": (_HEAD + b"</head><body><h1>Connexion</h1><input id=q autofocus aria-label=q></body></html>", {}),
    "self-removing-script": (
        _HEAD + b"</head><body><h1>Dossier</h1><script>document.currentScript.remove();" + _LATE + b"</script>"
        b"</body></html>",
        {},
    ),
    "onload-handler": (_HEAD + b'</head><body onload="' + _LATE + b'"><h1>Dossier</h1></body></html>', {}),
    "animation-handler": (
        _HEAD + b"<style>@keyframes k {from {opacity: .5} to {opacity: 1}} h1 {animation: k .3s}</style></head>"
        b"<body><h1 onanimationend=\"document.body.append('LATE')\">Dossier</h1></body></html>",
        {},
    ),
    # the same, the animation starting 1.2 s after the page shows: it ends after network idle
    # and the quiet window, waited for all the same
    "late-animation-handler": (
        _HEAD + b"<style>@keyframes k {from {opacity: .5} to {opacity: 1}} h1 {animation: k .3s 1.2s}</style>"
        b"</head><body><h1 onanimationend=\"document.body.append('LATE')\">Dossier</h1></body></html>",
        {},
    ),
    "fade-in": (
        _HEAD + b"<style>@keyframes k {from {color: #eee} to {color: #000}} p {animation: k 60s}</style></head>"
        b"<body><h1>Dossier</h1><p>Texte</p></body></html>",
        {},
    ),
    "closed-shadow-script": (
        _HEAD
        + b"</head><body><h1>Dossier</h1><div><template shadowrootmode=closed><p>dedans</p><script>"
        + _LATE
        + b"</script></template></div></body></html>",
        {},
    ),
    "closed-shadow": (
        _HEAD + b"</head><body><h1>Dossier</h1><div><template shadowrootmode=closed><p>dedans</p></template></div>"
        b"</body></html>",
        {},
    ),
    "inline-handler": (
        _HEAD + b"</head><body><h1>Dossier</h1><button onclick=\"this.textContent='LATE'\">Envoyer</button>"
        b"</body></html>",
        {},
    ),
    "meta-refresh": (
        _HEAD + b'<meta http-equiv="refresh" content="30"></head><body><h1>Dossier</h1></body></html>',
        {},
    ),
    "refresh-header": (_HEAD + b"</head><body><h1>Dossier</h1></body></html>", {"Refresh": "30"}),
    "frame": (_HEAD + b"</head><body><h1>Dossier</h1><iframe src=static title=s></iframe></body></html>", {}),
    "lazy-image": (
        _HEAD + b"</head><body><h1>Dossier</h1><img src=pixel.gif alt=x loading=lazy></body></html>",
        {},
    ),
    "huge": (
        _HEAD + b"</head><body><h1>Dossier</h1>" + b"<span>x</span>" * (MAX_ELEMENTS + 1) + b"</body></html>",
        {},
    ),
}
# The 1x1 transparent GIF.
_PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No line per request."""

    def do_GET(self) -> None:
        name = self.path.lstrip("/")
        if name == "pixel.gif":
            body, headers, kind = _PIXEL, {}, "image/gif"
        elif name in PAGES:
            (body, headers), kind = PAGES[name], "text/html; charset=utf-8"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def context() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM_PATH, args=list(CHROMIUM_ARGS))
        context = browser.new_context()
        context.add_init_script(WATCH_JS)  # as UiSession does
        yield context
        browser.close()


@pytest.fixture
def page(context: Any) -> Iterator[Any]:
    page = context.new_page()
    yield page
    page.close()


@pytest.mark.parametrize("name", ["static", "data-block"])
def test_a_page_without_script_is_final_at_load(page: Any, base: str, name: str) -> None:
    response = page.goto(base + name, wait_until="load")
    record = settle_page(page, name, timeout_ms=10_000, response=response)
    assert record.final_at_load, record
    assert record.why_waited is None
    assert record.to_json()["final_at_load"] is True


def test_an_autofocus_page_is_audited_with_its_focus_applied(page: Any, base: str) -> None:
    """Chromium applies autofocus at a rendering step that may come after `load`: the page is
    final at load once it has, and waits for it otherwise; either way the focus is there."""
    response = page.goto(base + "autofocus", wait_until="load")
    record = settle_page(page, "autofocus", timeout_ms=10_000, response=response)
    assert record.final_at_load or record.why_waited == "autofocus has not applied yet", record
    assert page.evaluate("document.activeElement.id") == "q"


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("self-removing-script", "page script can run in it: a <script> element was inserted"),
        ("module-script", "page script can run in it: a <script> element was inserted"),
        ("onload-handler", "page script can run in it: an event-handler attribute (onload) was inserted"),
        (
            "animation-handler",
            "page script can run in it: an event-handler attribute (onanimationend) was inserted",
        ),
        (
            "late-animation-handler",
            "page script can run in it: an event-handler attribute (onanimationend) was inserted",
        ),
        ("closed-shadow-script", "its source declares a shadow root"),
    ],
)
def test_a_page_that_changes_after_load_is_waited_for(page: Any, base: str, name: str, why: str) -> None:
    response = page.goto(base + name, wait_until="load")
    record = settle_page(page, name, timeout_ms=10_000, response=response)
    assert not record.final_at_load
    assert record.why_waited == why
    # It waited: the change made 300 ms after load is in the page it settled on.
    assert "LATE" in page.evaluate("document.body.textContent")


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("fade-in", "an animation or transition is running"),
        ("closed-shadow", "its source declares a shadow root"),
        ("inline-handler", "page script can run in it: an event-handler attribute (onclick) was inserted"),
        ("meta-refresh", "it has a meta refresh"),
        ("refresh-header", "its response has a Refresh header"),
        ("frame", "page script can run in it: a <iframe> element was inserted"),
        ("lazy-image", "an element loads lazily"),
        ("huge", f"more than {MAX_ELEMENTS} elements"),
    ],
)
def test_a_page_that_could_change_is_not_final_at_load(page: Any, base: str, name: str, why: str) -> None:
    response = page.goto(base + name, wait_until="load")
    assert not_final_reason(page, response) == why


def test_without_a_document_response_the_page_waits(page: Any, base: str) -> None:
    page.goto(base + "static", wait_until="load")
    record = settle_page(page, "static", timeout_ms=10_000)
    assert not record.final_at_load
    assert record.why_waited == "no document response (a route change inside the application)"
    assert record.network_idle


# Scripts that try to pass for none: each rewrites what a naive watcher would read (the
# DOM's getters, the watcher's own record, the document's state), removes itself and
# changes the page 300 ms later.
_HIDING = {
    "prototypes": "Document.prototype.getElementsByTagName = () => [];"
    "Object.defineProperty(document, 'readyState', {get: () => 'complete'});"
    "Object.defineProperty(Element.prototype, 'localName', {get: () => 'p'});"
    "Object.defineProperty(Node.prototype, 'nodeType', {get: () => 3});"
    "Object.defineProperty(MutationRecord.prototype, 'addedNodes', {get: () => []});"
    "Object.defineProperty(MutationRecord.prototype, 'type', {get: () => 'characterData'});"
    "Reflect.apply = () => 3; String.prototype.toLowerCase = () => 'p';",
    "watcher": "try { window.__homologSettle = {scripted: '', early: true, last: 0, mutations: 0}; } catch (e) {}"
    "try { Object.defineProperty(window.__homologSettle, 'scripted', {get: () => ''}); } catch (e) {}"
    "try { delete window.__homologSettle; } catch (e) {}",
    "observer": "MutationObserver.prototype.disconnect = () => {};"
    "MutationObserver.prototype.observe = () => {}; window.MutationObserver = function () {};",
}


@pytest.mark.parametrize("trick", sorted(_HIDING))
def test_a_script_that_hides_itself_is_still_seen(page: Any, base: str, trick: str) -> None:
    """The page can neither rewrite the watcher's record nor stop it: the parser hands the
    script element to the watcher before running it (a microtask checkpoint), and the
    watcher reads it through getters taken before any page script ran."""
    page.route(
        base + "hiding",
        lambda route: route.fulfill(
            content_type="text/html",
            body=_HEAD.decode() + "</head><body><h1>Dossier</h1><script>" + _HIDING[trick] + ";"
            "document.currentScript.remove();" + _LATE.decode() + "</script><p>suite</p></body></html>",
        ),
    )
    response = page.goto(base + "hiding", wait_until="load")
    record = settle_page(page, "hiding", timeout_ms=10_000, response=response)
    assert record.why_waited == "page script can run in it: a <script> element was inserted"
    assert "LATE" in page.evaluate("document.body.textContent")


def test_a_context_without_the_watcher_is_never_final_at_load(context: Any, base: str) -> None:
    """Installed late (by settle_page itself), the watcher cannot vouch for what came before."""
    page = context.browser.new_page()  # a context of its own, without the init script
    try:
        response = page.goto(base + "static", wait_until="load")
        record = settle_page(page, "static", timeout_ms=10_000, response=response)
    finally:
        page.context.close()
    assert record.why_waited == "the settle watcher is not installed in this page"


def test_a_page_cannot_make_itself_look_settled(page: Any, base: str) -> None:
    """A page that never stops changing and tells the watcher it has not changed for ages
    is still one that never settles."""
    page.route(
        base + "restless",
        lambda route: route.fulfill(
            content_type="text/html",
            body=_HEAD.decode() + "</head><body><h1>Dossier</h1><script>"
            "setInterval(() => { document.body.append('x');"
            " try { window.__homologSettle.last = -1e9; } catch (e) {} }, 50);</script></body></html>",
        ),
    )
    response = page.goto(base + "restless", wait_until="load")
    with pytest.raises(CheckError, match="kept changing"):
        settle_page(page, "restless", timeout_ms=2_000, response=response)
