from __future__ import annotations

from pathlib import Path

import pytest

from homolog.errors import CheckError, TargetError
from homolog.target import load_target

BASE = """format: homolog.target/1
system: {name: SUT, version: "2.1"}
base_urls: {web: "https://127.0.0.1:8443", fhir: "https://127.0.0.1:8443/fhir"}
tls: {ca_file: ca.pem}
auth:
  fhir: {type: bearer, token_env: T_TOKEN}
options: {modules: [dmp]}
data: {patient: p1}
pages:
  patient: {path: "/patients/{patient}", locators: {banner: "#b"}}
"""


def test_target_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(BASE)
    t = load_target(path)
    assert t.ssl_verify == str(tmp_path / "ca.pem")
    assert t.url("Patient/1", "fhir") == "https://127.0.0.1:8443/fhir/Patient/1"
    assert t.in_scope("https://127.0.0.1:8443/x") and not t.in_scope("https://127.0.0.1:9999/x")
    assert t.page("patient").url(t.base_url("web"), **t.data) == "https://127.0.0.1:8443/patients/p1"
    with pytest.raises(CheckError, match="no test data 'nope'"):
        t.datum("nope")
    with pytest.raises(CheckError, match="T_TOKEN"):
        t.secret_value("fhir", "token")
    monkeypatch.setenv("T_TOKEN", "abc123")
    assert t.secret_value("fhir", "token") == "abc123"
    assert "abc123" not in str(t.describe())


def test_served_paths_of_a_system_published_under_a_path(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    text = BASE.replace('web: "https://127.0.0.1:8443"', 'web: "https://127.0.0.1:8443/ehr/"')
    text = text.replace("auth:\n", "auth:\n  web: {type: form, username: u, password_env: T_PASSWORD}\n")
    path.write_text(text + '  login: {path: "/accounts/login/"}\n')
    t = load_target(path)
    # page paths are written from the base URL; requests and redirects carry the base's path
    assert t.served_path("login") == "/ehr/accounts/login/"
    assert t.login_path("web") == "/ehr/accounts/login/"
    assert t.login_path("fhir") is None  # a bearer token has no login page
    path.write_text(BASE)
    assert load_target(path).login_path("web") is None


def test_secret_written_in_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(BASE.replace("token_env: T_TOKEN", "token: hunter2"))
    with pytest.raises(TargetError) as info:
        load_target(path)
    (problem,) = info.value.problems
    assert problem.key == "auth.fhir.token" and problem.line == 6 and problem.suggestion == "token_env"


def test_misspelt_top_level_key(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(BASE.replace("options:", "optoins:"))
    with pytest.raises(TargetError) as info:
        load_target(path)
    (problem,) = info.value.problems
    assert problem.suggestion == "options" and problem.line == 7


@pytest.mark.parametrize(
    "url", ["https://admin:s3cr3tXY@127.0.0.1:8443", "https://admin:s3c#r3tXY@127.0.0.1", "https://s3c@127.0.0.1"]
)
def test_credentials_in_a_base_url_are_refused_without_echoing_them(tmp_path: Path, url: str) -> None:
    from homolog.errors import TargetError
    from homolog.target import load_target

    path = tmp_path / "target.yaml"
    path.write_text(
        f'format: homolog.target/1\nsystem: {{name: X, version: "1"}}\nbase_urls:\n  web: "{url}"\n', encoding="utf-8"
    )
    with pytest.raises(TargetError) as info:
        load_target(path)
    text = str(info.value)
    assert "base_urls.web" in text and "auth:" in text and ":4:" in text
    assert "s3c" not in text


def test_a_port_and_an_at_sign_in_the_path_are_not_credentials(tmp_path: Path) -> None:
    from homolog.target import load_target

    path = tmp_path / "target.yaml"
    path.write_text(
        'format: homolog.target/1\nsystem: {name: X, version: "1"}\nbase_urls:\n  web: "https://h:8443/u/@me"\n',
        encoding="utf-8",
    )
    assert load_target(path).base_url("web") == "https://h:8443/u/@me"


def test_json_login_of_a_single_page_application(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    api = "api: {login: /api/login/, csrf: /sanctum/csrf-cookie, session: /api/me, password: /api/me/password}"
    text = BASE.replace("auth:\n", f"auth:\n  web: {{type: form, username: u, password_env: T_PASSWORD, {api}}}\n")
    path.write_text(text + '  login: {path: "/app/login"}\n')
    login = load_target(path).auth("web")
    assert login is not None and login.api is not None
    assert (login.api.login, login.api.csrf, login.api.session) == ("/api/login/", "/sanctum/csrf-cookie", "/api/me")
    assert login.api.password == "/api/me/password"
    assert load_target(tmp_path / "t.yaml").auth("fhir").api is None  # type: ignore[union-attr]


@pytest.mark.parametrize("token", ["access_token", "data.accessToken", "header:Authorization", "header:X-Auth-Token"])
def test_where_the_access_token_is(tmp_path: Path, token: str) -> None:
    path = tmp_path / "t.yaml"
    api = f"{{login: /api/login, token: '{token}', refresh: /api/refresh, refresh_token: '{token}'}}"
    entry = f"{{type: form, username: u, password_env: T_PASSWORD, api: {api}}}"
    path.write_text(BASE.replace("auth:\n", f"auth:\n  web: {entry}\n") + '  login: {path: "/app/login"}\n')
    api_spec = load_target(path).auth("web").api  # type: ignore[union-attr]
    assert api_spec is not None and (api_spec.token, api_spec.refresh, api_spec.refresh_token) == (
        token,
        "/api/refresh",
        token,
    )


@pytest.mark.parametrize(
    ("entry", "key", "words"),
    [
        # an API login belongs to a form entry: a bearer token has nothing to post
        ("{type: bearer, token_env: T_TOKEN, api: {login: /api/login}}", "auth.web.api", "does not apply"),
        ("{type: form, username: u, password_env: T_PASSWORD, api: {csrf: /api/csrf}}", "auth.web.api", "login"),
        ("{type: form, username: u, password_env: T_PASSWORD, api: {login: api/login}}", "auth.web.api.login", ""),
        (
            "{type: form, username: u, password_env: T_PASSWORD, api: {login: /l, password: p}}",
            "auth.web.api.password",
            "",
        ),
    ],
    ids=["not-a-form", "no-login-path", "relative-path", "relative-password-path"],
)
def test_a_wrong_json_login_names_its_line_and_key(tmp_path: Path, entry: str, key: str, words: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(BASE.replace("auth:\n", f"auth:\n  web: {entry}\n") + '  login: {path: "/app/login"}\n')
    with pytest.raises(TargetError) as info:
        load_target(path)
    (problem,) = info.value.problems
    assert problem.key == key and problem.line == 6, problem
    assert words in problem.message
