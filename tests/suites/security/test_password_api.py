"""The password policy of a single-page application, changed where its scripts change it.

A loopback API (plain HTTP, a session cookie) whose password change answers as APIs do:
400 with the reasons, or 200 either way with the reasons in the body, or a failure. The
check reads what a change did from whether the new password opens a session, so an API
that answers a refusal 200 is judged on what it did, and an answer that is no decision
(a server error, a session refused) is an `error`, never a verdict.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest
from loopback_web import SPA_SHELL, QuietHandler, json_login_target, serving

from .helpers import run_checks

PASSWORD = "Original-pw-0001"
CHECK = "security.auth.password_policy"


def _api(min_length: int, answer: str) -> type[QuietHandler]:
    """A JSON login and password change; `answer`: "400" (refusals), "200" (200 either way),
    "500" or "403" (every change, never made)."""
    state = {"password": PASSWORD, "sessions": set()}

    class Api(QuietHandler):
        def do_GET(self) -> None:
            if self.path == "/app/login":
                self.send(200, SPA_SHELL)
            elif self.path == "/api/me":
                signed_in = self.cookie("sid") in state["sessions"]
                self.send_json(200 if signed_in else 401, {"name": "Paul MARTIN"} if signed_in else {})
            else:
                self.send(404, "")

        def do_POST(self) -> None:
            given = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            if self.path == "/api/login":
                if given != {"username": "dr.martin", "password": state["password"]}:
                    self.send_json(401, {"error": "invalid credentials"})
                    return
                sid = secrets.token_hex(8)
                state["sessions"].add(sid)
                self.send_json(200, {}, {"Set-Cookie": f"sid={sid}; HttpOnly; Path=/"})
            elif self.path == "/api/account/password":
                self.change(given, str(given.get("newPassword", "")), given.get("oldPassword") == state["password"])
            elif self.path == "/api/users/me":
                self.send_json(405, {"detail": "Method Not Allowed"}, {"Allow": "GET, PATCH"})
            else:
                self.send(404, "")

        def do_PATCH(self) -> None:
            # fastapi-users' PATCH /users/me: the new password alone, no current one asked
            given = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            if self.path == "/api/users/me" and set(given) == {"password"}:
                self.change(given, str(given["password"]), True)
            else:
                self.send_json(422 if self.path == "/api/users/me" else 404, {"detail": "unexpected"})

        def change(self, given: dict[str, Any], new: str, current_right: bool) -> None:
            if self.cookie("sid") not in state["sessions"]:
                self.send_json(401, {"error": "authentication required"})
            elif answer in ("500", "403"):
                self.send_json(int(answer), {"error": "unavailable"})
            else:
                made = current_right and len(new) >= min_length
                if made:
                    state["password"] = new
                status = 200 if made or answer == "200" else 400
                self.send_json(status, {"ok": made, "errors": [] if made else ["trop court"]})

    return Api


@pytest.fixture
def target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("T_PASSWORD", PASSWORD)

    def write(base: str, fields: Any = None, password: str = "/api/account/password") -> Path:
        api = {"login": "/api/login", "session": "/api/me", "password": password}
        keys = {"current": "oldPassword", "new": "newPassword"} | (fields or {})
        return json_login_target(tmp_path, base, "password_change", "dr.martin", api, {"password_fields": keys})

    return write


@pytest.mark.parametrize(
    ("min_length", "answer", "verdict", "words"),
    [
        (15, "400", "passed", ""),
        (15, "200", "passed", ""),  # the refusal answered 200: the short password opens nothing
        (8, "400", "failed", "a 14-character password was accepted"),
        (8, "200", "failed", "a 14-character password was accepted"),
        (15, "500", "error", "answered 500"),
        (15, "403", "error", "answered 403"),
        (20, "400", "error", "a 15-character password was refused too"),
    ],
)
def test_a_password_change_is_judged_by_what_it_did(
    target: Any, tmp_path: Path, min_length: int, answer: str, verdict: str, words: str
) -> None:
    with serving(_api(min_length, answer)) as base:
        (got,) = run_checks([(CHECK, {})], target(base), tmp_path).values()
    assert got[0] == verdict and words in (got[1] or ""), got


def test_password_fields_naming_an_unknown_key_is_an_error(target: Any, tmp_path: Path) -> None:
    with serving(_api(15, "400")) as base:
        (got,) = run_checks([(CHECK, {})], target(base, {"repeat": "newPassword2"}), tmp_path).values()
    assert got[0] == "error" and "settings.security.password_fields" in (got[1] or ""), got


@pytest.mark.parametrize(("min_length", "verdict"), [(15, "passed"), (8, "failed")])
def test_a_password_changed_by_patch_with_the_new_password_alone(
    target: Any, tmp_path: Path, min_length: int, verdict: str
) -> None:
    # fastapi-users: PATCH /users/me {"password": ...}, no current password asked
    fields = {"current": "", "new": "password"}
    with serving(_api(min_length, "400")) as base:
        (got,) = run_checks([(CHECK, {})], target(base, fields, "PATCH /api/users/me"), tmp_path).values()
    assert got[0] == verdict, got
    # declared as a POST where the API takes a PATCH: no policy decision, and the hint says so
    with serving(_api(min_length, "400")) as base:
        (got,) = run_checks([(CHECK, {})], target(base, fields, "/api/users/me"), tmp_path / "post").values()
    assert got[0] == "error" and "answered 405" in (got[1] or "") and "PATCH <path>" in (got[1] or ""), got
