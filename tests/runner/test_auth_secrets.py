"""No secret value reaches the run directory, whatever the authentication kind (issue 16.1).

Each kind is used for real against a server that echoes what it was sent (request headers
in the body, the credential in a cookie, the client secret in the token answer): the worst
case for evidence. Then every file of the run directory (results, evidence, run.json,
reports, ledger) is searched for each declared secret, raw and in the encodings it travels
in (percent-encoded, base64 alone and in a Basic pair).
"""

from __future__ import annotations

import base64
import json
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import pytest
import yaml
from engine_support import requirement, write_referential
from loopback_web import serving

from homolog.reports import render
from homolog.testing import run_referential

SECRETS = {
    "AUTH_TEST_PASSWORD": "pw-Basic-7c1e!x",
    "AUTH_TEST_TOKEN": "tok-static-91ab3f",
    "AUTH_TEST_CLIENT_SECRET": "cs-client-55de0a",
    "AUTH_TEST_API_KEY": "key-header-3e7d2b",
    "AUTH_TEST_EXTRA_HEADER": "xh-extra-8f2c41",
    "AUTH_TEST_EXTRA_COOKIE": "xc-cookie-0b9a6e",
}
#: What the token endpoint hands out: learnt by the run, a secret as much as the declared ones.
ACCESS_TOKEN = "at-granted-4d5e6f7a8b9c"
USER = "alice"
KINDS = ("none", "basic", "bearer", "client_credentials", "header")


def _expected(kind: str) -> dict[str, str]:
    """The request headers that open /private/<kind> (exact values)."""
    s = SECRETS
    pair = base64.b64encode(f"{USER}:{s['AUTH_TEST_PASSWORD']}".encode()).decode()
    return {
        "none": {"X-Extra": s["AUTH_TEST_EXTRA_HEADER"], "Cookie": f"extra={s['AUTH_TEST_EXTRA_COOKIE']}"},
        "basic": {"Authorization": f"Basic {pair}"},
        "bearer": {"Authorization": f"Bearer {s['AUTH_TEST_TOKEN']}"},
        "client_credentials": {"Authorization": f"Bearer {ACCESS_TOKEN}"},
        "header": {"X-Api-Key": s["AUTH_TEST_API_KEY"]},
    }[kind]


class EchoHandler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: dict[str, Any], cookie: str | None = None) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if cookie:
            self.send_header("Set-Cookie", f"echo={cookie}; HttpOnly")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        kind = self.path.rsplit("/", 1)[-1]
        if not self.path.startswith("/private/") or kind not in KINDS:
            self._send(404, {"error": "unknown"})
            return
        sent = dict(self.headers.items())
        ok = all(sent.get(k) == v for k, v in _expected(kind).items())
        # echoes every header it got, the credential included, in the body and in a cookie
        self._send(200 if ok else 401, {"you_sent": sent}, cookie=next(iter(_expected(kind).values())))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        form = {k: v[0] for k, v in parse_qs(body).items()}
        basic = base64.b64encode(f"homolog:{SECRETS['AUTH_TEST_CLIENT_SECRET']}".encode()).decode()
        authorized = self.headers.get("Authorization") == f"Basic {basic}" or (
            form.get("client_id") == "homolog" and form.get("client_secret") == SECRETS["AUTH_TEST_CLIENT_SECRET"]
        )
        if self.path != "/token" or form.get("grant_type") != "client_credentials" or not authorized:
            self._send(401, {"error": "invalid_client", "you_sent": body})
            return
        self._send(
            200,
            {
                "access_token": ACCESS_TOKEN,
                "token_type": "Bearer",
                "expires_in": 300,
                "you_sent": {"body": body, "authorization": self.headers.get("Authorization")},
            },
        )


@pytest.fixture(scope="module")
def echo_server() -> Iterator[str]:
    with serving(EchoHandler) as base:
        yield base


def _auth(kind: str, base: str) -> dict[str, Any]:
    return {
        "none": {
            "type": "none",
            "headers_env": {"X-Extra": "AUTH_TEST_EXTRA_HEADER"},
            "cookies_env": {"extra": "AUTH_TEST_EXTRA_COOKIE"},
        },
        "basic": {"type": "basic", "username": USER, "password_env": "AUTH_TEST_PASSWORD"},
        "bearer": {"type": "bearer", "token_env": "AUTH_TEST_TOKEN"},
        "client_credentials": {
            "type": "bearer",
            "token_url": f"{base}/token",
            "client_id": "homolog",
            "client_secret_env": "AUTH_TEST_CLIENT_SECRET",
        },
        "header": {"type": "header", "token_env": "AUTH_TEST_API_KEY", "header": "X-Api-Key"},
    }[kind]


def _forms(value: str) -> set[bytes]:
    """A secret as it may be written: raw, percent-encoded, base64 alone and in a Basic pair."""
    return {
        value.encode(),
        quote(value, safe="").encode(),
        base64.b64encode(value.encode()),
        base64.b64encode(f"{USER}:{value}".encode()),
        base64.b64encode(f"homolog:{value}".encode()),
    }


def leaks(run_dir: Path, secrets: dict[str, str]) -> list[str]:
    """`grep -r` of each secret form over every file of the run directory (zip members too): "file: name" found."""
    found = []
    files = [p for p in run_dir.rglob("*") if p.is_file()]
    assert files, f"{run_dir} holds no file"
    for path in files:
        for where, data in _contents(path, str(path.relative_to(run_dir))):
            found += [f"{where}: {name}" for name, v in secrets.items() if any(f in data for f in _forms(v))]
    return found


def _contents(path: Path, name: str) -> Iterator[tuple[str, bytes]]:
    """The file's bytes, and those of each member when it is a zip (browser traces): compressed, grep misses them."""
    data = path.read_bytes()
    yield name, data
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                yield f"{name}!{member}", archive.read(member)


@pytest.mark.parametrize("kind", KINDS)
def test_no_secret_of_an_api_auth_kind_reaches_the_run_directory(
    kind: str, echo_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    target = tmp_path / "target.yaml"
    target.write_text(
        yaml.safe_dump(
            {
                "format": "homolog.target/1",
                "system": {"name": "echo server", "version": "1"},
                "base_urls": {"web": echo_server},
                "auth": {"api": _auth(kind, echo_server)},
            }
        ),
        encoding="utf-8",
    )
    ref = write_referential(
        tmp_path / "ref.yaml",
        [
            requirement("AUTH-01", "engine.http.authed", with_={"path": f"/private/{kind}"}),
            # the same path with the credentials of another kind: refused, the evidence records it
            requirement("AUTH-02", "engine.http.status", with_={"path": f"/private/{kind}", "status": 401}),
        ],
    )
    run_dir = tmp_path / "run"
    doc = run_referential(ref, target, run_dir, extra_args=["-p", "enginechecks"])
    verdicts = {r["id"]: (r["verdict"], r["checks"][0]["message"]) for r in doc["requirements"]}
    # the server opened only to the credentials of this kind: they were sent, and echoed back
    assert verdicts == {"AUTH-01": ("passed", None), "AUTH-02": ("passed", None)}, verdicts
    render(run_dir, ["html", "json", "junit", "csv"])
    secrets = SECRETS | {"access token": ACCESS_TOKEN}
    assert leaks(run_dir, secrets) == []
    # what is searched for would be found: the echo was recorded, redacted
    evidence = b"".join(p.read_bytes() for p in (run_dir / "evidence").rglob("*") if p.is_file())
    assert b"you_sent" in evidence


def test_the_search_finds_a_secret_written_in_a_run_directory(tmp_path: Path) -> None:
    (tmp_path / "evidence").mkdir()
    pair = base64.b64encode(f"{USER}:{SECRETS['AUTH_TEST_PASSWORD']}".encode()).decode()
    (tmp_path / "evidence" / "x.json").write_text(json.dumps({"Authorization": f"Basic {pair}"}))
    assert leaks(tmp_path, SECRETS) == ["evidence/x.json: AUTH_TEST_PASSWORD"]


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("web_login", ["form", "basic", "oidc"])
def test_no_secret_of_a_web_login_kind_reaches_the_run_directory(web_login: str, refsut: Any, tmp_path: Path) -> None:
    """The reference system's login kinds, over HTTP (header checks) and in Chromium (UI checks)."""
    from homolog.counterparts.psc import PscSimulator, declare_simulator

    with PscSimulator(client_id="homolog-refsut", client_secret="psc-secret-6a7b8c9d") as psc:
        sut = refsut(
            oidc_issuer=psc.issuer,
            oidc_client_id="homolog-refsut",
            oidc_client_secret="psc-secret-6a7b8c9d",
            web_login=web_login,
        )
        declare_simulator(sut.target_path, psc)
        auth = yaml.safe_load(sut.target_path.read_text("utf-8"))["auth"]["web"]
        assert auth["type"] == web_login
        ref = write_referential(
            tmp_path / "ref.yaml",
            [
                # every page of the map, anonymous and logged in over HTTP
                requirement("WEB-01", "security.headers.nosniff"),
                # a page behind the login, in Chromium logged in with the same kind
                requirement("WEB-02", "ui.keyboard.focus_visible", with_={"pages": ["patient_list"]}),
            ],
        )
        run_dir = tmp_path / "run"
        doc = run_referential(ref, sut.target_path, run_dir)
    verdicts = {r["id"]: (r["verdict"], [c["message"] for c in r["checks"]]) for r in doc["requirements"]}
    assert all(v == "passed" for v, _ in verdicts.values()), verdicts
    render(run_dir, ["html", "json", "junit", "csv"])
    assert leaks(run_dir, dict(sut.env)) == []


def test_the_search_looks_inside_zip_archives(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "trace.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("trace.network", json.dumps({"password": SECRETS["AUTH_TEST_PASSWORD"]}))
    assert leaks(tmp_path, SECRETS) == ["trace.zip!trace.network: AUTH_TEST_PASSWORD"]
