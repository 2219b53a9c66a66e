"""The error probe of a login that takes OAuth 2's password form (`api.body: form`).

A malformed JSON body sent to such a login is refused by its framework before its own
parser runs (FastAPI answers 422): the probe now sends the form as the login reads it,
with broken escapes, so that the system's own form parser answers.
"""

from __future__ import annotations

import json
import traceback
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from loopback_web import LOGIN_FORM, SPA_SHELL, QuietHandler, form_target, json_login_target, serving

from .helpers import run_checks

CHECK = "security.headers.error_disclosure"


def _api(careful: bool) -> type[QuietHandler]:
    class Api(QuietHandler):
        def version_string(self) -> str:
            return "api"  # no version in the Server header: only the body is judged

        def do_GET(self) -> None:
            self.send(200, SPA_SHELL) if self.path == "/app/login" else self.send_json(404, {"detail": "Not Found"})

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("Content-Type") != "application/x-www-form-urlencoded":
                self.send_json(422, {"detail": "expected a form"})
                return
            try:
                fields = parse_qs(body.decode(), strict_parsing=True, errors="strict")
            except (UnicodeDecodeError, ValueError):
                if careful:
                    self.send_json(400, {"detail": "malformed form"})
                else:  # a careless handler answering with the exception it caught
                    self.send(500, "<pre>" + traceback.format_exc() + "</pre>")
                return
            self.send_json(400 if fields.get("password") != ["pw-0001"] else 200, {"access_token": "x"})

    return Api


@pytest.mark.parametrize(("careful", "verdict"), [(True, "passed"), (False, "failed")])
def test_a_form_login_gets_a_malformed_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, careful: bool, verdict: str
) -> None:
    monkeypatch.setenv("T_PASSWORD", "pw-0001")
    api = {"login": "/auth/jwt/login", "body": "form", "token": "access_token"}
    with serving(_api(careful)) as base:
        target = json_login_target(tmp_path, base, "web", "alice", api, {})
        (got,) = run_checks([(CHECK, {})], target, tmp_path).values()
    assert got[0] == verdict, got
    if verdict == "failed":
        assert "Python traceback" in (got[1] or "") and "POST /auth/jwt/login (500)" in (got[1] or ""), got


def _every_route_parses_json(careful: bool) -> type[QuietHandler]:
    class App(QuietHandler):
        def version_string(self) -> str:
            return "app"

        def do_GET(self) -> None:
            self.send(200, LOGIN_FORM) if self.path == "/login" else self.send(404, "<p>Page introuvable</p>")

        def do_DELETE(self) -> None:
            self.send(405, "<p>Méthode non permise</p>")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("Content-Type") == "application/json":
                try:  # a body parser in front of every route, as Express's express.json()
                    json.loads(body)
                except ValueError:
                    if careful:
                        self.send(400, "<p>Requête invalide</p>")
                    else:  # a development error handler showing the parser's exception
                        self.send(400, "<pre>" + traceback.format_exc() + "</pre>")
                    return
            self.send(303, "", {"Location": "/login?error=1"})

    return App


@pytest.mark.parametrize(("careful", "verdict"), [(True, "passed"), (False, "failed")])
def test_a_form_login_gets_json_cut_short(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, careful: bool, verdict: str
) -> None:
    # An application parsing JSON bodies on every route fails in its parser, before its form
    # login runs: a JSON body cut short is sent to a form login too.
    monkeypatch.setenv("T_PASSWORD", "pw-0001")
    with serving(_every_route_parses_json(careful)) as base:
        target = form_target(tmp_path, base, "T_PASSWORD", {})
        (got,) = run_checks([(CHECK, {})], target, tmp_path).values()
    assert got[0] == verdict, got
    if verdict == "failed":
        assert "Python traceback" in (got[1] or "") and "POST /login (400)" in (got[1] or ""), got
