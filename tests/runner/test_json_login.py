"""The JSON login of a single-page application: against recorded answers, then a loopback API."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from loopback_web import serving

from homolog import (
    CheckError,
    HttpClient,
    LoginApi,
    PageSpec,
    TargetError,
    csrf_headers,
    load_target,
    refresh_session,
    renewed_token,
    submit_login,
)

PAGE = PageSpec("login", "/app/login", "web", None, {}, None, True)
BASE = "https://ehr.example.test:8443"


@dataclass
class Answer:
    status_code: int
    cookies: list[str] = field(default_factory=list)
    location: str = ""
    url: str = ""
    content: bytes = b""
    more: dict[str, str] = field(default_factory=dict)  # other headers of the answer

    @property
    def headers(self) -> httpx.Headers:
        return httpx.Headers(({"location": self.location} if self.location else {}) | self.more)

    def header_values(self, name: str) -> list[str]:
        return list(self.cookies) if name == "set-cookie" else []

    def describe(self) -> str:
        return f"{self.url} ({self.status_code})"


class Recorded:
    """send(method, path, **kw): the recorded answer of each path, the requests kept."""

    def __init__(self, answers: dict[str, Answer]) -> None:
        self.answers = answers
        self.sent: list[tuple[str, str, dict[str, Any]]] = []

    def __call__(self, method: str, path: str, **kw: Any) -> Answer:
        self.sent.append((method, path, kw))
        answer = self.answers[path]
        answer.url = BASE + path
        return answer


DJANGO = LoginApi("/api/login/", "/api/csrf/", "/api/me/")


def test_django_json_login_echoes_the_csrf_cookie() -> None:
    send = Recorded(
        {
            "/app/login": Answer(200),
            "/api/csrf/": Answer(200, ["csrftoken=Tok3n; expires=Fri, 03 Dec 2027 10:00:00 GMT; Path=/; SameSite=Lax"]),
            "/api/login/": Answer(200, ["sessionid=s1; HttpOnly; Path=/; SameSite=Lax"]),
        }
    )
    outcome = submit_login(send, PAGE, DJANGO, "dr.robert", "pw", {"username": "email"})
    assert outcome.success and outcome.status == 200
    assert [(m, p) for m, p, _ in send.sent] == [("GET", "/app/login"), ("GET", "/api/csrf/"), ("POST", "/api/login/")]
    posted = send.sent[-1][2]
    assert json.loads(posted["content"]) == {"email": "dr.robert", "password": "pw"}
    headers = posted["headers"]
    assert headers["X-CSRFToken"] == "Tok3n" and headers["Content-Type"] == "application/json"
    assert headers["Origin"] == "https://ehr.example.test:8443" and headers["Referer"] == BASE + "/app/login"


def test_laravel_xsrf_cookie_is_echoed_decoded() -> None:
    # Laravel Sanctum's XSRF-TOKEN is URL-encoded; axios and Angular decode it before sending it back
    cookies = ["XSRF-TOKEN=eyJpdiI6IkFCQyJ9%3D%3D; Path=/; SameSite=Lax", "laravel_session=x; HttpOnly"]
    assert csrf_headers(cookies)["X-XSRF-TOKEN"] == "eyJpdiI6IkFCQyJ9=="
    assert csrf_headers(["lang=fr", "sessionid=x"]) == {}
    assert csrf_headers(["csrftoken=; Max-Age=0"]) == {}  # emptied: nothing to echo


@pytest.mark.parametrize(("status", "success"), [(200, True), (204, True), (400, False), (401, False), (403, False)])
def test_a_refused_json_login_is_not_a_success(status: int, success: bool) -> None:
    send = Recorded({"/app/login": Answer(200), "/api/login/": Answer(status)})
    outcome = submit_login(send, PAGE, LoginApi("/api/login/"), "u", "wrong")
    assert outcome.success is success and outcome.status == status


@pytest.mark.parametrize(
    ("answers", "words"),
    [
        ({"/app/login": Answer(404)}, "expected 200 for the login page"),
        ({"/app/login": Answer(200), "/api/csrf/": Answer(403)}, "CSRF cookie request answered 403"),
        ({"/app/login": Answer(200), "/api/csrf/": Answer(200), "/api/login/": Answer(502)}, "failed with 502"),
    ],
    ids=["no-login-page", "csrf-refused", "login-server-error"],
)
def test_a_json_login_that_cannot_be_tried_is_a_check_error(answers: dict[str, Answer], words: str) -> None:
    with pytest.raises(CheckError, match=words):
        submit_login(Recorded(answers), PAGE, DJANGO, "u", "pw")


def test_the_access_token_of_the_answer_is_the_session() -> None:
    api = LoginApi("/api/auth/login", session="/api/me", token="data.accessToken")
    answer = Answer(200, content=b'{"data": {"accessToken": "tok-0001", "expiresIn": 900}}')
    outcome = submit_login(Recorded({"/app/login": Answer(200), "/api/auth/login": answer}), PAGE, api, "u", "pw")
    assert outcome.success and outcome.token == "tok-0001"
    # a refused login has no token to read
    refused = Recorded({"/app/login": Answer(200), "/api/auth/login": Answer(401, content=b'{"error": "x"}')})
    assert submit_login(refused, PAGE, api, "u", "wrong").token is None


@pytest.mark.parametrize(
    "content",
    [b'{"data": {}}', b'{"data": {"accessToken": ""}}', b"<html>ok</html>", b"[1]", b"[" * 100_000 + b"]" * 100_000],
    ids=["no-key", "empty", "html", "list", "nested-100000-deep"],
)
def test_an_accepted_login_without_its_token_is_a_check_error(content: bytes) -> None:
    api = LoginApi("/api/auth/login", token="data.accessToken")
    send = Recorded({"/app/login": Answer(200), "/api/auth/login": Answer(200, content=content)})
    with pytest.raises(CheckError, match=r"access token at 'data\.accessToken'"):
        submit_login(send, PAGE, api, "u", "pw")


@pytest.mark.parametrize("value", ["Bearer tok-0002", "bearer  tok-0002 ", "tok-0002"])
def test_an_access_token_in_a_header_of_the_answer_is_the_session(value: str) -> None:
    # devise-jwt (Rails) answers the sign-in with `Authorization: Bearer <jwt>`, its body the user
    api = LoginApi("/users/sign_in", token="header:Authorization")
    answer = Answer(201, content=b'{"email": "u@example.test"}', more={"Authorization": value})
    outcome = submit_login(Recorded({"/app/login": Answer(200), "/users/sign_in": answer}), PAGE, api, "u", "pw")
    assert outcome.success and outcome.token == "tok-0002"


@pytest.mark.parametrize("more", [{}, {"Authorization": "Bearer "}], ids=["no-header", "empty"])
def test_an_accepted_login_without_its_token_header_is_a_check_error(more: dict[str, str]) -> None:
    api = LoginApi("/users/sign_in", token="header:Authorization")
    send = Recorded({"/app/login": Answer(200), "/users/sign_in": Answer(200, content=b"{}", more=more)})
    with pytest.raises(CheckError, match="no access token in its Authorization header"):
        submit_login(send, PAGE, api, "u", "pw")


def test_the_refresh_token_of_the_answer_is_kept_and_sent_back() -> None:
    api = LoginApi("/api/token/", token="access", refresh="/api/token/refresh/", refresh_token="data.refresh")
    answer = Answer(200, content=b'{"access": "tok-0003", "data": {"refresh": "ref-0003"}}')
    outcome = submit_login(Recorded({"/app/login": Answer(200), "/api/token/": answer}), PAGE, api, "u", "pw")
    assert (outcome.token, outcome.refresh) == ("tok-0003", "ref-0003")
    send = Recorded({"/api/token/refresh/": Answer(200, content=b'{"access": "tok-0004"}')})
    resp = refresh_session(send, api, outcome.refresh, BASE + "/app/login", ["csrftoken=c1"])
    assert renewed_token(resp, "access") == "tok-0004"
    ((method, _, kw),) = send.sent
    assert method == "POST" and json.loads(kw["content"]) == {"refresh": "ref-0003"}
    assert kw["headers"]["X-CSRFToken"] == "c1" and kw["headers"]["Origin"] == BASE
    # held in a cookie: the body is empty, the session's cookies carry it
    resp = refresh_session(send, LoginApi("/api/token/", refresh="/api/token/refresh/"), None, BASE + "/app/login", [])
    assert json.loads(send.sent[-1][2]["content"]) == {}


@pytest.mark.parametrize(
    ("status", "content", "renewed"),
    [
        (401, b'{"access": "tok-0005"}', None),
        (200, b'{"ok": false}', None),
        (200, b'{"access": "tok-0005"}', "tok-0005"),
    ],
)
def test_only_a_token_answered_by_an_accepted_refresh_renews(status: int, content: bytes, renewed: str | None) -> None:
    api = LoginApi("/api/token/", token="access", refresh="/api/token/refresh/")
    resp = refresh_session(Recorded({"/api/token/refresh/": Answer(status, content=content)}), api, None, BASE, [])
    assert renewed_token(resp, "access") == renewed


@pytest.mark.parametrize("status", [404, 405, 500, 503])
def test_a_refresh_that_is_no_decision_is_a_check_error(status: int) -> None:
    api = LoginApi("/api/token/", token="access", refresh="/api/token/refresh/")
    with pytest.raises(CheckError, match=f"the token refresh answered {status}"):
        refresh_session(Recorded({"/api/token/refresh/": Answer(status)}), api, None, BASE, [])


def test_a_declared_refresh_token_missing_from_the_answer_is_a_check_error() -> None:
    api = LoginApi("/api/token/", token="access", refresh="/api/token/refresh/", refresh_token="refresh")
    send = Recorded({"/app/login": Answer(200), "/api/token/": Answer(200, content=b'{"access": "tok-0006"}')})
    with pytest.raises(CheckError, match="no refresh token at 'refresh'"):
        submit_login(send, PAGE, api, "u", "pw")


LIVE_TOKEN = "tok-live-0001"


class TokenApi(BaseHTTPRequestHandler):
    """A login answering an access token; /api/me answers only with it as a bearer token."""

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        if self.path == "/app/login":
            self._send(200, {})
        elif self.headers.get("Authorization") == f"Bearer {LIVE_TOKEN}":
            self._send(200, {"name": "Alice ROBERT"})
        else:
            self._send(401, {"error": "authentication required"})

    def do_POST(self) -> None:
        given = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        if given == {"username": "alice", "password": "pw-0001"} and self.path == "/users/sign_in":
            self._send(201, {"email": "alice@example.test"}, {"Authorization": f"Bearer {LIVE_TOKEN}"})
        elif given == {"username": "alice", "password": "pw-0001"}:
            self._send(200, {"access_token": LIVE_TOKEN, "token_type": "Bearer"})
        else:
            self._send(401, {"error": "invalid credentials"})


@pytest.mark.parametrize(
    ("login", "token"), [("/api/login", "access_token"), ("/users/sign_in", "header:Authorization")]
)
def test_requests_of_a_token_session_carry_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, login: str, token: str
) -> None:
    monkeypatch.setenv("T_PASSWORD", "pw-0001")
    with serving(TokenApi) as base:
        path = tmp_path / "t.yaml"
        path.write_text(
            "format: homolog.target/1\nsystem: {name: SPA, version: '1'}\n"
            f"base_urls: {{web: '{base}'}}\n"
            "auth:\n  web: {type: form, username: alice, password_env: T_PASSWORD,\n"
            f"        api: {{login: {login}, session: /api/me, token: '{token}'}}}}\n"
            "pages:\n  login: {path: /app/login}\n"
        )
        with HttpClient(load_target(path)) as http:
            assert http.get("/api/me", base="web").status_code == 401
            assert http.get("/api/me", base="web", auth="web").status_code == 200
            assert LIVE_TOKEN in http.sanitizer.secrets  # redacted wherever it shows up


def test_an_oauth_password_form_login_is_form_encoded() -> None:
    # FastAPI's OAuth2PasswordRequestForm (fastapi-users, the FastAPI tutorial) reads a
    # form-encoded body and answers JSON 422 to the same fields as JSON
    api = LoginApi("/auth/jwt/login", token="access_token", body="form")
    answer = Answer(200, content=b'{"access_token": "tok-0007", "token_type": "bearer"}')
    send = Recorded({"/app/login": Answer(200), "/auth/jwt/login": answer})
    outcome = submit_login(send, PAGE, api, "dr.robert@ehr.example.test", "p&w=1 é")
    assert outcome.success and outcome.token == "tok-0007"
    posted = send.sent[-1][2]
    assert posted["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(posted["content"].decode(), strict_parsing=True) == {
        "username": ["dr.robert@ehr.example.test"],
        "password": ["p&w=1 é"],
    }


def test_an_oauth_refresh_is_form_encoded_with_its_grant_type() -> None:
    api = LoginApi(
        "/oauth/token", token="access_token", refresh="/oauth/token", refresh_token="refresh_token", body="form"
    )
    send = Recorded({"/oauth/token": Answer(200, content=b'{"access_token": "tok-0008"}')})
    assert renewed_token(refresh_session(send, api, "ref/0008+", BASE, []), "access_token") == "tok-0008"
    posted = send.sent[-1][2]
    assert posted["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(posted["content"].decode()) == {"grant_type": ["refresh_token"], "refresh_token": ["ref/0008+"]}


@pytest.mark.parametrize("body", ["json", "form"])
def test_a_login_refusing_the_encoding_is_a_check_error_naming_api_body(body: str) -> None:
    send = Recorded({"/app/login": Answer(200), "/api/login": Answer(415)})
    with pytest.raises(CheckError, match=r"the login takes no application/.* is the auth entry's api\.body right"):
        submit_login(send, PAGE, LoginApi("/api/login", body=body), "u", "pw")


@pytest.mark.parametrize(
    ("password", "body", "problem"),
    [
        ("PATCH /users/me", "form", None),
        ("/api/password/", "json", None),
        ("GET /users/me", "json", "auth.web.api.password"),
        ("PATCH users/me", "json", "auth.web.api.password"),
        ("/api/password/", "xml", "auth.web.api.body"),
    ],
)
def test_the_password_change_method_and_the_body_are_declared(
    tmp_path: Path, password: str, body: str, problem: str | None
) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "format: homolog.target/1\nsystem: {name: SPA, version: '1'}\n"
        "base_urls: {web: 'https://ehr.example.test'}\n"
        "auth:\n  web: {type: form, username: alice, password_env: T_PASSWORD,\n"
        f"        api: {{login: /auth/jwt/login, body: {body}, password: '{password}'}}}}\n"
        "pages:\n  login: {path: /app/login}\n"
    )
    if problem is not None:
        with pytest.raises(TargetError, match=re.escape(problem)):
            load_target(path)
        return
    api = load_target(path).auth("web").api  # type: ignore[union-attr]
    assert api is not None and api.body == body
    assert api.password_change == (("PATCH", "/users/me") if password.startswith("PATCH") else ("POST", password))
