"""The plumbing of the small web systems tests serve on 127.0.0.1 (plain HTTP).

A test writes the system's behaviour in a `QuietHandler` subclass (`do_GET`, `do_POST`)
and serves it with `serving`, which yields the base URL and stops the server after;
`form_target` writes the target file of such a system with a form login.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from homolog.counterparts.listeners import serve_in_thread, stop_serving


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that logs nothing, with helpers to answer and to read a cookie."""

    def log_message(self, *args: Any) -> None:
        pass

    def send(self, status: int, body: str = "", headers: dict[str, str] | None = None) -> None:
        """Answer ``status`` with ``body`` (HTML unless ``headers`` name another type)."""
        data = body.encode()
        self.send_response(status)
        for key, value in {"Content-Type": "text/html; charset=utf-8", **(headers or {})}.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        """Answer ``status`` with ``body`` as JSON."""
        self.send(status, json.dumps(body), {"Content-Type": "application/json", **(headers or {})})

    def cookie(self, name: str) -> str:
        """The request's cookie ``name``, "" when it sends none."""
        for part in (self.headers.get("Cookie") or "").split(";"):
            key, _, value = part.strip().partition("=")
            if key == name:
                return value
        return ""


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that give up (timeout tests) are expected; under xdist a traceback
        printed between tests would reach the terminal."""


@contextlib.contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on 127.0.0.1 (a thread per request); yield its base URL."""
    server = QuietServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = serve_in_thread(server, "loopback-web")
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        stop_serving(server, thread, timeout=5)


#: A login page: form POSTed to /login, fields `u` and `p`, found by the LOGIN_LOCATORS.
LOGIN_FORM = (
    "<!doctype html><html lang=fr><head><meta charset=utf-8><title>Connexion</title></head><body>"
    "<h1>Connexion</h1><form method=post action=/login><label for=u>Identifiant</label><input id=u name=u>"
    "<label for=p>Mot de passe</label><input id=p name=p type=password>"
    "<button id=s type=submit>Entrer</button></form></body></html>"
)
LOGIN_LOCATORS = {"username": "#u", "password": "#p", "submit": "#s"}


def form_target(folder: Path, base: str, password_env: str, pages: dict[str, dict[str, Any]], **sections: Any) -> Path:
    """A target file for a system served at ``base``: account `alice` logs in on the
    LOGIN_FORM at /login (password in ``password_env``), then ``pages`` (other sections
    such as `settings` as given)."""
    doc = {
        "format": "homolog.target/1",
        "system": {"name": "loopback system", "version": "1.0.0"},
        "base_urls": {"web": base},
        "auth": {"web": {"type": "form", "username": "alice", "password_env": password_env}},
        "pages": {"login": {"path": "/login", "locators": LOGIN_LOCATORS}, **pages},
        **sections,
    }
    path = folder / "target.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


#: The shell a single-page application serves as its login page: its script draws the form.
SPA_SHELL = "<!doctype html><title>Connexion</title><div id=root></div>"


def json_login_target(
    folder: Path, base: str, auth: str, username: str, api: dict[str, str], settings: dict[str, Any]
) -> Path:
    """A target file for a single-page application served at ``base`` whose account
    `auth.<auth>` (``username``, password in T_PASSWORD) logs in through ``api``, its login
    page the shell at /app/login; ``settings`` its `settings.security`."""
    doc = {
        "format": "homolog.target/1",
        "system": {"name": "loopback single-page application", "version": "1.0.0"},
        "base_urls": {"web": base},
        "auth": {auth: {"type": "form", "username": username, "password_env": "T_PASSWORD", "api": api}},
        "settings": {"security": settings},
        "pages": {"login": {"path": "/app/login"}},
    }
    path = folder / "target.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path
