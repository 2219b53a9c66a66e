"""The CORS check on a single-page application whose API has a CORS policy of its own.

The shell is served without any CORS header (a static file server would); the API under
/api/ answers cross-origin requests as its framework is configured to. The check asked the
login page only, so an API reflecting any origin with credentials passed; it now asks the
JSON login's session resource too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from loopback_web import SPA_SHELL, QuietHandler, json_login_target, serving

from .helpers import run_checks

CHECK = "security.headers.cors"


def _api(policy: str) -> type[QuietHandler]:
    """`policy`: "reflect" (any origin, with credentials), "own" (its own origin only),
    "none" (no CORS header)."""

    class Api(QuietHandler):
        def cors(self) -> dict[str, str]:
            origin = self.headers.get("Origin") or ""
            allowed = {"reflect": origin, "own": f"http://{self.headers.get('Host')}", "none": ""}[policy]
            if not self.path.startswith("/api/") or not origin or allowed != origin:
                return {}
            return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}

        def do_GET(self) -> None:
            if self.path == "/app/login":
                self.send(200, SPA_SHELL)
            elif self.path == "/api/me":
                self.send_json(401, {"detail": "Unauthorized"}, self.cors())
            else:
                self.send(404, "")

        def do_OPTIONS(self) -> None:
            self.send(204 if self.path.startswith("/api/") else 405, "", self.cors())

    return Api


@pytest.mark.parametrize(
    ("policy", "session", "verdict"),
    [
        ("reflect", True, "failed"),
        ("reflect", False, "passed"),  # the login page alone says nothing of the API's policy
        ("own", True, "passed"),
        ("none", True, "passed"),
    ],
)
def test_the_api_of_a_json_login_is_asked_for_its_cors_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: str, session: bool, verdict: str
) -> None:
    monkeypatch.setenv("T_PASSWORD", "pw-0001")
    api = {"login": "/api/login"} | ({"session": "/api/me"} if session else {})
    with serving(_api(policy)) as base:
        target = json_login_target(tmp_path, base, "web", "alice", api, {})
        (got,) = run_checks([(CHECK, {})], target, tmp_path).values()
    assert got[0] == verdict, got
    if verdict == "failed":
        assert "GET /api/me" in (got[1] or "") and "reflected" in (got[1] or ""), got
