"""A deliberately careless HTTPS web app on 127.0.0.1, for the failing side of checks
that the reference SUT has no defect switch for (permissive headers, no access control)."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml

LOGIN_PAGE = b"""<!doctype html><html lang="fr"><body>
<form method="post" action="/login">
<input type="hidden" name="csrf_token" value="t0k3n">
<input id="username" name="username"><input id="password" name="password" type="password">
<button id="login-submit">OK</button></form></body></html>"""


@contextmanager
def careless_app(
    cert: Path, key: Path, headers: dict[str, str] | list[tuple[str, str]], *, issuer: str | None = None
) -> Iterator[int]:
    """Serve the app over TLS; every response carries ``headers`` (a list of pairs: a
    header may come several times, each its own field). Yields the port.

    With ``issuer``, the login page offers a careless OpenID Connect login: fixed short
    state, no nonce, no acr_values, no PKCE, and a session opened at the callback without
    redeeming the code, for another user than the form login's.
    """
    users = {"form": "Dr Alice ROBERT", "psc": "Dr Mallory INTRUS"}

    class Handler(BaseHTTPRequestHandler):
        server_version = "careless"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str]) -> None:
            self.send_response(status)
            fields = list(headers.items()) if isinstance(headers, dict) else list(headers)
            replaced = {k.lower() for k in extra}
            for k, v in [*(f for f in fields if f[0].lower() not in replaced), *extra.items()]:
                self.send_header(k, v)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            sid = (self.headers.get("Cookie") or "").partition("sid=")[2].split(";")[0]
            base = f"https://127.0.0.1:{self.server.server_address[1]}"
            if path == "/login":
                button = b'<a id="psc-login" href="/login/psc">PSC</a>' if issuer else b""
                self._send(200, LOGIN_PAGE + button, "text/html", {})
            elif path == "/login/psc" and issuer:
                query = urlencode(
                    {
                        "response_type": "code",
                        "client_id": "careless",
                        "redirect_uri": base + "/cb",
                        "scope": "openid",
                        "state": "1",
                    }
                )
                location = f"{issuer}/protocol/openid-connect/auth?{query}"
                self._send(302, b"", "text/plain", {"Location": location})
            elif path == "/cb":
                cookie = "sid=psc; Path=/; Secure; HttpOnly; SameSite=Lax"
                self._send(303, b"", "text/plain", {"Location": "/", "Set-Cookie": cookie})
            elif path == "/" and sid in users:
                body = f'<p>Bonjour <span id="current-user">{users[sid]}</span></p>'.encode()
                self._send(200, body, "text/html", {})
            elif path == "/":
                self._send(303, b"", "text/plain", {"Location": "/login"})
            elif path == "/patients":  # no session required: the defect
                self._send(200, b"<p>patients</p>", "text/html", {})
            elif path.startswith("/fhir/Patient/"):  # no token required: the defect
                body = json.dumps({"resourceType": "Patient", "id": "p1"}).encode()
                self._send(200, body, "application/fhir+json", {})
            else:
                self._send(404, b"not found", "text/plain", {})

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            cookie = "sid=form; Path=/; Secure; HttpOnly; SameSite=Lax"
            self._send(303, b"", "text/plain", {"Location": "/patients", "Set-Cookie": cookie})

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def careless_target(folder: Path, port: int, ca: Path) -> Path:
    """Target file for the careless app (env HOMOLOG_TEST_TOKEN / HOMOLOG_TEST_PASSWORD)."""
    base = f"https://127.0.0.1:{port}"
    doc = {
        "format": "homolog.target/1",
        "system": {"name": "careless app", "version": "0", "vendor": "homolog tests"},
        "base_urls": {"web": base, "fhir": base + "/fhir"},
        "tls": {"ca_file": str(ca)},
        "auth": {
            "fhir": {"type": "bearer", "token_env": "HOMOLOG_TEST_TOKEN"},
            "web": {"type": "form", "username": "u", "password_env": "HOMOLOG_TEST_PASSWORD"},
        },
        "data": {"patient_qualified": "p1", "psc_user_idnatps": "810000000001"},
        "pages": {
            "login": {
                "path": "/login",
                "locators": {
                    "username": "#username",
                    "password": "#password",
                    "submit": "#login-submit",
                    "psc_button": "#psc-login",
                },
            },
            "patient_list": {"path": "/patients"},
            "home": {"path": "/", "locators": {"current_user": "#current-user"}},
        },
    }
    path = folder / "careless-target.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path
