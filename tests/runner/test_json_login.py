"""The JSON login of a single-page application, against recorded answers (no network)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from homolog import CheckError, LoginApi, PageSpec, csrf_headers, submit_login

PAGE = PageSpec("login", "/app/login", "web", None, {}, None, True)
BASE = "https://ehr.example.test:8443"


@dataclass
class Answer:
    status_code: int
    cookies: list[str] = field(default_factory=list)
    location: str = ""
    url: str = ""

    @property
    def headers(self) -> httpx.Headers:
        return httpx.Headers({"location": self.location} if self.location else {})

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
