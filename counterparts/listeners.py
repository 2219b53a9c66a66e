"""A simulator's HTTP listeners: served in a daemon thread, stopped without waiting on clients;
and its control listener, JSON over HTTP on 127.0.0.1 under ``/_homolog/<secret>/``.

Checks, possibly in other processes, read what the system under test sent and order
misbehaviour through it. The path holds a random secret: the system under test, which
knows only the service's address, cannot read or steer its own test. Bodies are bounded
and every socket operation has a timeout, so a stray client holds one thread at most.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["ControlApi", "ControlCall", "serve_in_thread", "stop_serving"]

#: Serves one control action: ``(method, action, query, body) -> (status, payload)``; the
#: action is the path after the secret, the body the decoded JSON of a POST (None for GET);
#: a ``bytes`` payload is sent as is, anything else as JSON.
ControlCall = Callable[[str, str, Mapping[str, str], Any], tuple[int, Any]]

_TIMEOUT = 5.0  # seconds one socket operation may wait


def serve_in_thread(server: ThreadingHTTPServer, name: str) -> threading.Thread:
    """Serve ``server`` in a daemon thread called ``name`` (a shutdown is seen within 50 ms)."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True)
    thread.start()
    return thread


def stop_serving(
    server: ThreadingHTTPServer | None,
    thread: threading.Thread | None,
    *,
    timeout: float,
    cut: Callable[[], None] | None = None,
) -> None:
    """Stop the loop of ``serve_in_thread``, ``cut`` open connections, wait up to ``timeout``
    seconds for the thread, free the port. Either may be None (never started, or stopped)."""
    if server is not None:
        server.shutdown()
        if cut is not None:
            cut()
    if thread is not None:
        thread.join(timeout=timeout)
    if server is not None:
        server.server_close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Broken connections are the client's business."""


class _Handler(BaseHTTPRequestHandler):
    api: ControlApi
    server_version = "homolog-simulator-control"
    sys_version = ""
    protocol_version = "HTTP/1.0"
    timeout = _TIMEOUT

    def log_message(self, format: str, *args: Any) -> None:
        """The simulator's records are the log."""

    def _send(self, status: int, payload: Any) -> None:
        if isinstance(payload, bytes):
            body, ctype = payload, "application/octet-stream"
        else:
            body, ctype = json.dumps(payload).encode(), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(body)

    def _route(self, method: str) -> None:
        url = urlsplit(self.path)
        prefix = f"/_homolog/{self.api.secret}/"
        if not url.path.startswith(prefix):
            self._send(404, {"error": "not found"})
            return
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        body: Any = None
        if method == "POST":
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if not 0 <= length <= self.api.max_body:
                self._send(413, {"error": "control body too large"})
                return
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                self._send(400, {"error": "control body is not JSON"})
                return
        status, payload = self.api.call(method, url.path[len(prefix) :], query, body)
        self._send(status, payload)

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")


class ControlApi:
    """A simulator's control listener on ``127.0.0.1:port`` (0: a free port), served in a
    daemon thread named ``<name>-control`` between ``start`` and ``stop``."""

    def __init__(self, name: str, call: ControlCall, *, port: int = 0, max_body: int = 1024 * 1024) -> None:
        self.name = name
        self.call = call
        self.max_body = max_body
        self.secret = secrets.token_urlsafe(18)
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> ControlApi:
        """Bind the port and serve."""
        handler = type("ControlHandler", (_Handler,), {"api": self})
        self._server = _Server(("127.0.0.1", self._port), handler)
        self._thread = serve_in_thread(self._server, f"{self.name}-control")
        return self

    def stop(self) -> None:
        """Stop serving and free the port (idempotent)."""
        stop_serving(self._server, self._thread, timeout=_TIMEOUT + 1)
        self._server, self._thread = None, None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/_homolog/<secret>``; RuntimeError before ``start``."""
        if self._server is None:
            raise RuntimeError(f"the {self.name} simulator is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}/_homolog/{self.secret}"
