"""A hostile system under test: an HTTP server on 127.0.0.1 whose every answer is made to
hang, mislead or rob the harness, one mode per attack of issue 14.

The server is bounded: it listens on a free port of 127.0.0.1 only, a dripped answer
stops after `MAX_DRIP_SECONDS` or when the client leaves, and `stop()` ends every
connection. It records the passwords it was sent (form fields) so that a test can look
for them in the run directory.

Besides its mode it behaves as a small web application and FHIR server: a login form
whose password field is called ``motdepasse``, a password-change page, a FHIR
``metadata`` and ``Patient`` search.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["MODES", "HostileServer"]

MAX_DRIP_SECONDS = 120.0
MODES = (
    "plain",  # a well-behaved server: the baseline
    "drip-headers",  # a status line then header lines without end, one byte a second
    "drip-body",  # headers at once, then the body one byte per second
    "node-error-flood",  # 4.9 MB error pages of repeated `xError: `
    "paging-flood",  # 20 search pages of 80,000 entries each, the same ids on every page
    "eyj-bodies",  # every body followed by 250 KiB of `eyJ`
    "token-redirect",  # FHIR metadata redirects in scope to /fhir/_tok/<token>/metadata
    "escaped-echo",  # the token JSON-escaped and the password HTML-escaped in the answers
    "fullwidth-hsts",  # Strict-Transport-Security: max-age=３１５３６０００
    "gzip-gzip-trace",  # error pages with a stack trace, Content-Encoding: gzip, gzip
    "cors-redirect-500",  # FHIR answers 500, the web answers redirects
    "bad-json-docref",  # DocumentReference answered with invalid JSON
    "deep-json",  # FHIR metadata nested 100,000 deep
)

_TRACE = (
    "Traceback (most recent call last):\n"
    '  File "/srv/app/views.py", line 42, in login\n'
    "    user = db.lookup(name)\n"
    "KeyError: 'name'\n"
)
_CAPABILITY = {
    "resourceType": "CapabilityStatement",
    "status": "active",
    "date": "2026-01-01",
    "kind": "instance",
    "fhirVersion": "4.0.1",
    "format": ["json"],
    "rest": [{"mode": "server", "resource": [{"type": "Patient"}]}],
}


class HostileServer:
    """`with HostileServer(mode, token=..., password=...) as srv:` then `srv.base`."""

    def __init__(self, mode: str, *, token: str, password: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r} (known: {', '.join(MODES)})")
        self.mode = mode
        self.token = token
        self.password = password
        self.passwords_seen: set[str] = set()
        self.stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.hostile = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._pages: list[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.close_all()
        self._httpd.server_close()
        self._thread.join(timeout=10)

    def page(self, number: int) -> bytes:
        """Search page `number` of the paging flood (built once: 80,000 entries, ~4 MB)."""
        if self._pages is None:
            entries = ",".join(f'{{"resource":{{"resourceType":"Patient","id":"p{i}"}}}}' for i in range(80_000))
            self._pages = [entries.encode()]
        link = ""
        if number < 20:
            link = f'"link":[{{"relation":"next","url":"{self.base}/fhir/Patient?page={number + 1}"}}],'
        head = f'{{"resourceType":"Bundle","type":"searchset","total":80000,{link}"entry":['
        return head.encode() + self._pages[0] + b"]}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    hostile: HostileServer

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            self._sockets.add(request)
        super().process_request(request, client_address)

    def close_all(self) -> None:
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self._sockets.clear()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    @property
    def srv(self) -> HostileServer:
        return self.server.hostile

    # -- sending
    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        hdrs = {"Content-Type": "text/html; charset=utf-8", **(headers or {})}
        mode = self.srv.mode
        if mode == "eyj-bodies" and status == 200:
            # 250 KiB of `eyJ` after the page (what the evidence sanitiser chokes on), the
            # page itself kept: header checks log in through the login form first
            body = body + b"eyJ" * (250 * 1024 // 3)
        if mode == "fullwidth-hsts":
            hdrs["Strict-Transport-Security"] = "max-age=３１５３６０００"
        elif mode != "drip-headers":
            hdrs.setdefault("Strict-Transport-Security", "max-age=31536000")
        if mode == "drip-body" and status == 200:
            body = body * 1000
        head = f"HTTP/1.1 {status} X\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
        head += f"Content-Length: {len(body)}\r\n\r\n"
        raw = head.encode("utf-8")
        if mode == "drip-headers":
            # a byte a second, under any read timeout (which each byte restarts), and
            # header lines without end: only a deadline on the whole exchange stops it
            endless = f"HTTP/1.1 {status} X\r\n".encode() + b"X-Drip: 1\r\n" * 100_000
            self._drip(endless, 1.0)
        elif mode == "drip-body" and status == 200:
            self.wfile.write(raw)
            self.wfile.flush()
            self._drip(body, 1.0)
        else:
            self.wfile.write(raw + body)

    def _drip(self, data: bytes, every: float) -> None:
        start = time.monotonic()
        for i in range(len(data)):
            if self.srv.stopping.is_set() or time.monotonic() - start > MAX_DRIP_SECONDS:
                break
            try:
                self.wfile.write(data[i : i + 1])
                self.wfile.flush()
            except OSError:
                break
            self.srv.stopping.wait(every)
        self.close_connection = True

    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        hdrs = {"Content-Type": "application/fhir+json", **(headers or {})}
        self._send(status, json.dumps(obj).encode(), hdrs)

    # -- routes
    def do_GET(self) -> None:
        self._route("GET", b"")

    def do_POST(self) -> None:
        length = min(int(self.headers.get("Content-Length") or 0), 1024 * 1024)
        self._route("POST", self.rfile.read(length))

    def do_DELETE(self) -> None:
        self._route("DELETE", b"")

    def do_OPTIONS(self) -> None:
        self._route("OPTIONS", b"")

    def _route(self, method: str, body: bytes) -> None:
        srv = self.srv
        mode = srv.mode
        parts = urlsplit(self.path)
        path = parts.path
        if method == "POST" and body:
            for values in parse_qs(body.decode("utf-8", "replace")).values():
                srv.passwords_seen.update(v for v in values if len(v) >= 8)
        if mode == "cors-redirect-500":
            if path.startswith("/fhir"):
                return self._send(500, b"internal error")
            return self._send(302, b"", {"Location": "/elsewhere"})
        if mode == "deep-json" and path == "/fhir/metadata":
            deep = b'{"resourceType":"CapabilityStatement","x":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
            return self._send(200, deep, {"Content-Type": "application/fhir+json"})
        if mode == "token-redirect" and path == "/fhir/metadata":
            return self._send(302, b"", {"Location": f"/fhir/_tok/{srv.token}/metadata"})
        if path.startswith("/fhir/_tok/"):
            return self._json(200, _CAPABILITY)
        if path == "/fhir/metadata":
            cap = dict(_CAPABILITY)
            if mode == "escaped-echo":
                escaped = json.dumps(srv.token).replace(srv.token[0], f"\\u{ord(srv.token[0]):04x}", 1)
                text = json.dumps(cap)[:-1] + f', "description": {escaped}}}'
                return self._send(200, text.encode(), {"Content-Type": "application/fhir+json"})
            return self._json(200, cap)
        if path == "/fhir/Patient" and mode == "paging-flood":
            page = int((parse_qs(parts.query).get("page") or ["1"])[0])
            return self._send(200, srv.page(page), {"Content-Type": "application/fhir+json"})
        if path.startswith("/fhir/DocumentReference/") and mode == "bad-json-docref":
            return self._send(
                200, b'{"resourceType": "DocumentReference", "content": [', {"Content-Type": "application/fhir+json"}
            )
        if path == "/login" and method == "GET":
            echo = ""
            if mode == "escaped-echo":
                echo = "<p>" + "".join(f"&#{ord(c)};" for c in srv.password) + "</p>"
            form = (
                '<html><body><form action="/login" method="post">'
                '<input id="username" name="username"><input id="password" name="motdepasse" type="password">'
                f'<button id="login-submit" type="submit">OK</button></form>{echo}</body></html>'
            )
            return self._send(200, form.encode())
        if path == "/login" and method == "POST":
            return self._send(302, b"", {"Location": "/", "Set-Cookie": "sid=hostile-session-0001; HttpOnly; Secure"})
        if path == "/account/password" and method == "GET":
            form = (
                '<html><body><form action="/account/password" method="post">'
                '<input id="current_password" name="current_password" type="password">'
                '<input id="new_password" name="new_password" type="password">'
                '<button id="password-submit">OK</button></form></body></html>'
            )
            return self._send(200, form.encode())
        if path == "/account/password" and method == "POST":
            new = (parse_qs(body.decode()).get("new_password") or [""])[0]
            verdict = '<p role="status">changed</p>' if len(new) >= 15 else '<p role="alert">too short</p>'
            return self._send(200, verdict.encode())
        if path == "/":
            return self._send(200, b"<html><body><p id='current-user'>alice</p></body></html>")
        # anything else is an error: how each mode answers one
        if mode == "node-error-flood":
            return self._send(500, b"xError: " * (4_900_000 // 8))
        if mode == "gzip-gzip-trace":
            packed = gzip.compress(gzip.compress(_TRACE.encode()))
            return self._send(500, packed, {"Content-Type": "text/plain", "Content-Encoding": "gzip, gzip"})
        if path.startswith("/fhir"):
            return self._json(
                404, {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-found"}]}
            )
        return self._send(404, b"<html><body>not found</body></html>")
