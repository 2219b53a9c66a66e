"""CPU of the browser's scope guard: every request routed through it vs only those it acts on.

    .venv/bin/python bench/ui_routing.py [ROUNDS] [PAGES]

A UI session routes through its guard (`UiSession._guard`) the requests outside the
target's scope (aborted) and those to the origin of header credentials (headers added);
the others go unrouted. Before, every request was routed (`**/*`): each one paused in
Chromium, sent to the Playwright driver and on to Python, and continued from there.

Each round starts Playwright and Chromium, opens a session on a page of 30 in-scope
subresources and 2 out-of-scope ones (served on 127.0.0.1), loads it PAGES times (default
20), and stops everything; its CPU is this process's plus its children's (the driver and
Chromium, counted once they have exited). The two sides alternate for ROUNDS rounds
(default 6); medians per page load are printed with their ratio.
"""

from __future__ import annotations

import contextlib
import re
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from unittest import mock

import yaml

from homolog import Evidence, load_target
from homolog.suites.ui import session as ui_session
from homolog.suites.ui.browser import BrowserManager

SUBRESOURCES = 30


def _serve(body: Callable[[str], tuple[str, bytes]]) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ctype, data = body(self.path)
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def _cpu() -> float:
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def one_round(target_path: Path, url: str, pages: int, route_everything: bool) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one round."""
    everything = mock.patch.object(ui_session, "_outside", lambda hosts: re.compile("^"))
    with tempfile.TemporaryDirectory() as tmp, everything if route_everything else contextlib.nullcontext():
        c0, w0 = _cpu(), time.monotonic()
        manager = BrowserManager()
        ui = ui_session.UiSession(manager, load_target(target_path), Evidence(Path(tmp), "bench"), trace=False)
        try:
            for i in range(pages):
                ui.page.goto(f"{url}/page?{i}", wait_until="load")
        finally:
            ui.close(failed=False)
            manager.close()
        return _cpu() - c0, time.monotonic() - w0


def main(rounds: int = 6, pages: int = 20) -> None:
    outside, outside_url = _serve(lambda path: ("image/gif", b"GIF89a"))
    html = "".join(f'<img alt="" src="/r{i}.gif">' for i in range(SUBRESOURCES))
    html += f'<img alt="" src="{outside_url}/a.gif"><script src="{outside_url}/b.js"></script>'
    page = f'<!doctype html><html lang="fr"><title>bench</title><h1>bench</h1>{html}</html>'.encode()
    inside, url = _serve(lambda path: ("text/html", page) if path.startswith("/page") else ("image/gif", b"GIF89a"))
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "target.yaml"
        doc = {
            "format": "homolog.target/1",
            "system": {"name": "bench", "version": "1", "vendor": "homolog"},
            "base_urls": {"web": url},
            "options": {},
            "pages": {},
        }
        target.write_text(yaml.safe_dump(doc), encoding="utf-8")
        one_round(target, url, 2, False)  # warm-up: imports, disk caches
        results: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
        for r in range(rounds):
            for side in (r % 2 == 0, r % 2 == 1):
                results[side].append(one_round(target, url, pages, side))
    inside.shutdown()
    outside.shutdown()
    requests = SUBRESOURCES + 3
    print(f"{rounds} rounds per side, {pages} loads of a page of {requests} requests per round (medians per load)")
    med: dict[bool, tuple[float, float]] = {}
    for side, label in ((True, "every request routed (before)"), (False, "only what the guard acts on")):
        cpu = statistics.median(c for c, _ in results[side]) / pages
        wall = statistics.median(w for _, w in results[side]) / pages
        med[side] = (cpu, wall)
        print(f"  {label:32} {cpu * 1000:7.1f} ms CPU  {wall * 1000:7.1f} ms wall")
    cpu_ratio, wall_ratio = med[False][0] / med[True][0], med[False][1] / med[True][1]
    print(f"  ratio (after / before)           {cpu_ratio:7.2f}×     {wall_ratio:7.2f}×")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
