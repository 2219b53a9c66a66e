"""An idle session of a single-page application holding an access token and a refresh token.

Its access token lapses with idleness, but its script asks for a new one (`api.refresh`):
a refresh token that outlives the idle timeout brings the session back, so the session has
not ended. A loopback API (plain HTTP) whose access token lives as long as the declared
timeout, and whose refresh token lives that long or a day, held in the login's answer or in
a cookie.
"""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from typing import ClassVar

import pytest
from loopback_web import SPA_SHELL, QuietHandler, json_login_target, serving

from .helpers import run_checks

PASSWORD = "pw-refresh-0001"
CHECK = "security.auth.session_timeout"
TIMEOUT = 2  # seconds, declared; the access token lives as long


def _api(refresh_life: float, held: str, refreshing: str) -> type[QuietHandler]:
    """`held`: "body" (the login answers the refresh token) or "cookie" (an HttpOnly cookie);
    `refreshing`: "tokens" (new ones while the refresh token lives), "200" (a refusal
    answered 200, no token in it) or "503" (every refresh fails)."""
    access: dict[str, float] = {}
    refresh: dict[str, float] = {}

    class Api(QuietHandler):
        issued: ClassVar[list[str]] = []  # every token answered, none of which evidence may hold

        def _tokens(self, status: int) -> None:
            a, r = secrets.token_hex(12), secrets.token_hex(12)
            self.issued += [a, r]
            access[a], refresh[r] = time.monotonic() + TIMEOUT, time.monotonic() + refresh_life
            if held == "body":
                self.send_json(status, {"access": a, "refresh": r})
            else:
                self.send_json(status, {"access": a}, {"Set-Cookie": f"rt={r}; HttpOnly; Path=/api/refresh"})

        def do_GET(self) -> None:
            if self.path == "/app/login":
                self.send(200, SPA_SHELL)
            elif self.path == "/api/me":
                token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                live = access.get(token, 0) > time.monotonic()
                self.send_json(200 if live else 401, {"name": "Alice ROBERT"} if live else {})
            else:
                self.send(404, "")

        def do_POST(self) -> None:
            given = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            if self.path == "/api/login":
                if given == {"username": "alice", "password": PASSWORD}:
                    self._tokens(200)
                else:
                    self.send_json(401, {"error": "invalid credentials"})
            elif self.path == "/api/refresh":
                if refreshing != "tokens":
                    self.send_json(int(refreshing), {"ok": False, "error": "unavailable"})
                    return
                token = str(given.get("refresh", "")) if held == "body" else self.cookie("rt")
                if refresh.pop(token, 0) > time.monotonic():  # a new refresh token with each
                    self._tokens(200)
                else:
                    self.send_json(401, {"error": "token expired"})
            else:
                self.send(404, "")

    return Api


def _target(folder: Path, base: str, held: str) -> Path:
    api = {"login": "/api/login", "session": "/api/me", "token": "access", "refresh": "/api/refresh"}
    if held == "body":
        api["refresh_token"] = "refresh"
    settings = {"session_timeout_seconds": TIMEOUT, "session_timeout_margin_seconds": 0.5}
    return json_login_target(folder, base, "web", "alice", api, settings)


@pytest.mark.parametrize(
    ("refresh_life", "held", "refreshing", "verdict", "words"),
    [
        (TIMEOUT, "body", "tokens", "passed", ""),
        (TIMEOUT, "cookie", "tokens", "passed", ""),
        (86400, "body", "tokens", "failed", "the refresh token outlives the idle timeout"),
        (86400, "cookie", "tokens", "failed", "the refresh token outlives the idle timeout"),
        (86400, "body", "200", "passed", ""),  # a refusal answered 200 without a token renews nothing
        (86400, "body", "503", "error", "the token refresh answered 503"),
    ],
    ids=["body-lapses", "cookie-lapses", "body-outlives", "cookie-outlives", "200-without-token", "503"],
)
def test_a_refresh_after_the_idle_period_must_not_bring_the_session_back(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    refresh_life: float,
    held: str,
    refreshing: str,
    verdict: str,
    words: str,
) -> None:
    monkeypatch.setenv("T_PASSWORD", PASSWORD)
    api = _api(refresh_life, held, refreshing)
    with serving(api) as base:
        (got,) = run_checks([(CHECK, {})], _target(tmp_path, base, held), tmp_path).values()
    assert got[0] == verdict and words in (got[1] or ""), got
    # opaque tokens under simplejwt's names, redacted because the target says where they are
    assert api.issued
    written = [p.read_text("utf-8", "replace") for p in tmp_path.rglob("*") if p.is_file()]
    assert not [t for t in api.issued if any(t in text for text in written)]
