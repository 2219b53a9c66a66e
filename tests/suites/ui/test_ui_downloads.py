"""A page cannot make the harness download: an endless attachment is refused at once.

Playwright accepts downloads by default and keeps them in a temporary folder until the
context closes: a page that starts an endless one would fill the disk for as long as the
check runs (measured before the change: 685 MB in 5 s on loopback). A UI session's
context refuses downloads, so Chromium cancels the transfer and drops the connection.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from loopback_web import QuietHandler, serving

from homolog.suites.ui.session import UiSession

pytestmark = pytest.mark.browser

PAGE = '<!doctype html><html lang="fr"><title>t</title><h1>t</h1><a id="get" href="/export.bin">export</a></html>'
LIMIT = 4_000_000_000  # bytes: past this the server gives up by itself (the test then fails)


class Endless(QuietHandler):
    protocol_version = "HTTP/1.1"
    sent = 0
    dropped = threading.Event()

    def do_GET(self) -> None:
        if self.path != "/export.bin":
            self.send(200, PAGE)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Disposition", 'attachment; filename="export.bin"')
        self.end_headers()
        chunk = b"\0" * 65536
        try:
            while type(self).sent < LIMIT:
                self.wfile.write(chunk)
                type(self).sent += len(chunk)
        except OSError:
            type(self).dropped.set()  # the browser closed the connection


@pytest.fixture
def ui(tmp_path: Path, ui_session: Callable[[Path], UiSession]) -> Iterator[UiSession]:
    Endless.sent = 0
    Endless.dropped = threading.Event()
    with serving(Endless) as base:
        target = tmp_path / "target.yaml"
        target.write_text(
            f"format: homolog.target/1\nsystem: {{name: s, version: '1'}}\nbase_urls: {{web: '{base}'}}\n"
            "pages:\n  home: {path: /, locators: {}}\n",
            encoding="utf-8",
        )
        yield ui_session(target)


@pytest.mark.timeout(60)
def test_an_endless_download_is_refused(ui: UiSession) -> None:
    ui.goto("home")
    ui.page.click("#get")
    # Accepted, the transfer goes on until the context closes (or LIMIT): not within 20 s.
    assert Endless.dropped.wait(20), f"the browser kept downloading ({Endless.sent} bytes)"
    assert Endless.sent < 100_000_000
