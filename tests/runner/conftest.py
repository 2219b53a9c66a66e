"""Fixtures for the engine tests: a loopback HTTP server with known behaviours, files."""

from __future__ import annotations

import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import enginechecks  # noqa: F401  (registers the engine test checks)
import pytest
from engine_support import ENGINE_TOKEN, write_engine_target
from loopback_web import serving


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes = b"ok", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _drip(self, raw: bytes, *, pause: float, head: int = 0) -> None:
        """Send `raw` as is: its first `head` bytes at once, then one byte per `pause` seconds (bounded)."""
        self.close_connection = True
        try:
            self.wfile.write(raw[:head])
            self.wfile.flush()
            for i in range(head, min(len(raw), head + 40)):
                time.sleep(pause)
                self.wfile.write(raw[i : i + 1])
                self.wfile.flush()
        except OSError:
            pass  # the client gave up: that is the point

    def do_GET(self) -> None:
        port = self.server.server_address[1]
        if self.path == "/ok":
            self._send(200, b'{"ok": true}', {"Content-Type": "application/json"})
        elif self.path == "/missing":
            self._send(404, b"nope")
        elif self.path == "/slow":
            time.sleep(3)
            self._send(200)
        elif self.path == "/big":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            chunk = b"x" * 65536
            try:
                for _ in range(200):  # 12.5 MiB
                    self.wfile.write(chunk)
            except OSError:
                pass
        elif self.path == "/redirect-out":
            self._send(302, b"", {"Location": "http://203.0.113.7/steal"})
        elif self.path == "/redirect-in":
            self._send(302, b"", {"Location": f"http://127.0.0.1:{port}/ok"})
        elif self.path == "/loop":
            self._send(302, b"", {"Location": "/loop"})
        elif self.path == "/cookie":
            self._send(200, b"ok", {"Set-Cookie": "sid=s3cr3tvalue; Secure; HttpOnly; SameSite=Lax"})
        elif self.path == "/crafted":
            self._send(200, b"a" * 64 + b"!", {"Content-Type": "text/plain"})
        elif self.path == "/drip-headers":
            self._drip(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", pause=2.0)
        elif self.path == "/drip-body":
            self._drip(b"HTTP/1.1 200 OK\r\nContent-Length: 60\r\n\r\n" + b"x" * 60, pause=1.0, head=39)
        elif self.path == "/echo":
            body = f"auth={self.headers.get('Authorization')}".encode()
            self._send(200, body, {"Content-Type": "text/plain"})
        else:
            self._send(404, b"unknown")


@pytest.fixture(scope="session")
def web_server() -> Iterator[str]:
    with serving(Handler) as base:
        yield base


@pytest.fixture
def target_file(tmp_path: Path, web_server: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(*ENGINE_TOKEN)
    return write_engine_target(tmp_path / "target.yaml", web_server)
