"""security.auth.endpoints_refuse_anonymous: the endpoint inventory and its anonymous probes.

Against the reference SUT (page map, UI crawl in Chromium, CapabilityStatement, OpenAPI),
and against a small web application whose only API call is a fetch() made by its page
script, to show that XHR/fetch calls enter the inventory and are replayed.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from flask import Flask, Response, redirect, request
from werkzeug.serving import make_server

CHECK = "security.auth.endpoints_refuse_anonymous"
RunChecks = Callable[..., dict[str, dict[str, Any]]]
pytestmark = pytest.mark.browser


def _inventory(result: dict[str, Any], run_dir: Path) -> dict[str, Any]:
    rel = next(p for p in result["evidence"] if p.endswith("endpoint-inventory.json"))
    return dict(json.loads((run_dir / rel).read_text("utf-8")))


def _edited(target: Path, out: Path, public: list[str]) -> Path:
    doc = yaml.safe_load(target.read_text("utf-8"))
    doc["tls"]["ca_file"] = str(target.parent / doc["tls"]["ca_file"])
    doc["settings"]["security"]["public_paths"] = public
    out.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return out


def test_clean_sut_refuses_anonymous_callers_everywhere_the_inventory_looks(
    clean_sut: Any, run_checks: RunChecks, tmp_path: Path
) -> None:
    result = run_checks([CHECK], clean_sut.target_path)[CHECK]
    assert result["verdict"] == "passed", result["message"]
    inv = _inventory(result, tmp_path / "run-0")
    sources = " | ".join(inv["sources"])
    assert "OpenAPI web:/api/openapi.json: 2 operation(s)" in sources
    assert "FHIR CapabilityStatement" in sources and "crawl:" in sources
    found = {s.split(" on ")[0].split(":")[0] for e in inv["endpoints"] for s in e["sources"]}
    assert {"page map", "link", "form", "FHIR", "OpenAPI"} <= found
    outcomes = {e["outcome"] for e in inv["endpoints"]}
    assert outcomes <= {"public", "refused"}
    assert any(e["url"].endswith("/api/patients") and e["outcome"] == "refused" for e in inv["endpoints"])


def test_an_internal_api_open_to_anyone_fails(refsut: Callable[..., Any], run_checks: RunChecks) -> None:
    sut = refsut(defects={"internal-api-open"})
    result = run_checks([CHECK], sut.target_path)[CHECK]
    assert result["verdict"] == "failed"
    assert "GET /api/patients [OpenAPI: GET /patients]: 200 application/json" in result["message"]


def test_what_is_public_comes_from_the_target_not_from_a_guess(
    refsut: Callable[..., Any], run_checks: RunChecks, tmp_path: Path
) -> None:
    sut = refsut(defects={"internal-api-open"})
    # Declared public by the vendor: the open API is then not a finding.
    public = ["/api/*", "/fhir/metadata", "/static/*", "/tlm/patient/login*", "/tlm/patient/callback"]
    declared = _edited(sut.target_path, tmp_path / "declared.yaml", public)
    # Nothing declared public: the FHIR CapabilityStatement, served to anyone, is a finding.
    nothing = _edited(sut.target_path, tmp_path / "nothing.yaml", [])
    a = run_checks([CHECK], declared)[CHECK]
    b = run_checks([CHECK], nothing)[CHECK]
    assert a["verdict"] == "passed", a["message"]
    assert b["verdict"] == "failed"
    assert "GET /fhir/metadata [FHIR: metadata]" in b["message"]


# -- a web application whose API is only called from its page script --------------------------
_PASSWORD = "Rpc-" + secrets.token_urlsafe(12)
_LOGIN = """<!doctype html><html lang="fr"><head><title>Connexion</title></head><body><main>
<form method="post" action="/login"><label for="u">Identifiant</label><input id="u" name="username">
<label for="p">Mot de passe</label><input id="p" name="password" type="password">
<button id="go" type="submit">Se connecter</button></form></main></body></html>"""
_HOME = """<!doctype html><html lang="fr"><head><title>Accueil</title><script src="/app.js"></script></head>
<body><main><h1>Accueil</h1><p id="count">...</p><a href="/about">À propos</a></main></body></html>"""
_SCRIPT = """fetch('/rpc', {method: 'POST', headers: {'Content-Type': 'application/json'},
  body: JSON.stringify({method: 'patients.count'})}).then(r => r.json()).then(d => {
  document.getElementById('count').textContent = String(d.result); });"""


def _rpc_app(protected: bool) -> Flask:
    app = Flask("rpc-app")
    sessions: set[str] = set()

    def logged_in() -> bool:
        return request.cookies.get("sid", "") in sessions

    @app.get("/login")
    def login_page() -> str:
        return _LOGIN

    @app.post("/login")
    def login() -> Any:
        if request.form.get("username") == "alice" and request.form.get("password") == _PASSWORD:
            sid = secrets.token_urlsafe(16)
            sessions.add(sid)
            resp = redirect("/", code=303)
            resp.set_cookie("sid", sid, httponly=True, samesite="Lax")
            return resp
        return Response(_LOGIN, status=401, mimetype="text/html")

    @app.get("/")
    def home() -> Any:
        return _HOME if logged_in() else redirect("/login", code=303)

    @app.get("/about")
    def about() -> Any:
        return "<!doctype html><title>À propos</title><p>x</p>" if logged_in() else redirect("/login", code=303)

    @app.get("/app.js")
    def script() -> Response:
        return Response(_SCRIPT, mimetype="text/javascript")

    @app.post("/rpc")
    def rpc() -> Any:
        if protected and not logged_in():
            return Response('{"error": "login required"}', status=401, mimetype="application/json")
        body = request.get_json(silent=True) or {}
        if body.get("method") != "patients.count":
            return Response('{"error": "unknown method"}', status=400, mimetype="application/json")
        return {"result": 42}

    return app


@contextlib.contextmanager
def _form_login_app(app: Flask, tmp_path: Path, name: str, settings: dict[str, Any]) -> Iterator[Path]:
    """Serve `app` on 127.0.0.1 for the block; yield a target logging in as alice on its /login form."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    target = {
        "format": "homolog.target/1",
        "system": {"name": name, "version": "1"},
        "base_urls": {"web": f"http://127.0.0.1:{server.server_port}"},
        "auth": {"web": {"type": "form", "username": "alice", "password_env": "HOMOLOG_TEST_FORM_APP_PASSWORD"}},
        "pages": {
            "login": {"path": "/login", "locators": {"username": "#u", "password": "#p", "submit": "#go"}},
            "home": {"path": "/"},
        },
        "settings": settings,
    }
    path = tmp_path / "form-app-target.yaml"
    path.write_text(yaml.safe_dump(target), encoding="utf-8")
    try:
        yield path
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(params=[True, False], ids=["rpc-protected", "rpc-open"])
def rpc_target(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[bool, Path]]:
    protected = bool(request.param)
    monkeypatch.setenv("HOMOLOG_TEST_FORM_APP_PASSWORD", _PASSWORD)
    settings = {"security": {"public_paths": ["/app.js"]}}
    with _form_login_app(_rpc_app(protected), tmp_path, "rpc web app", settings) as path:
        yield protected, path


def test_fetch_calls_of_the_ui_enter_the_inventory_and_are_replayed(
    rpc_target: tuple[bool, Path], run_checks: RunChecks, tmp_path: Path
) -> None:
    protected, target = rpc_target
    result = run_checks([CHECK], target)[CHECK]
    inv = _inventory(result, tmp_path / "run-0")
    rpc = next(e for e in inv["endpoints"] if e["url"].endswith("/rpc"))
    assert rpc["method"] == "POST" and rpc["sources"] == ["XHR/fetch from /"]
    assert rpc["replayed_body_bytes"] > 0
    if protected:
        assert result["verdict"] == "passed", result["message"]
        assert rpc["outcome"] == "refused"
    else:
        assert result["verdict"] == "failed"
        assert "POST /rpc [XHR/fetch from /]: 200 application/json" in result["message"]


# -- a web application whose session ends in the middle of the crawl ---------------------------
# /s1/page ... /s5/page, linked from the home page (one folder each: the crawl takes every one),
# each linking to its own /sN/leaf
_PAGES = 5
_SESSION_LOADS = 4  # the first session ends at its 5th page: the landing page, home and two of a batch


def _ending_app(open_leaf: str | None) -> Flask:
    app = Flask("ending-app")
    sessions: dict[str, int] = {}  # sid -> pages served; the first session ends, later ones do not
    first: list[str] = []
    lock = threading.Lock()

    def page_view() -> bool:
        sid = request.cookies.get("sid", "")
        with lock:
            if sid not in sessions:
                return False
            sessions[sid] += 1
            if first and sid == first[0] and sessions[sid] > _SESSION_LOADS:
                del sessions[sid]
                return False
            return True

    @app.get("/login")
    def login_page() -> str:
        return _LOGIN

    @app.post("/login")
    def login() -> Any:
        if request.form.get("username") != "alice" or request.form.get("password") != _PASSWORD:
            return Response(_LOGIN, status=401, mimetype="text/html")
        sid = secrets.token_urlsafe(16)
        with lock:
            sessions[sid] = 0
            first[:] = first or [sid]
        resp = redirect("/", code=303)
        resp.set_cookie("sid", sid, httponly=True, samesite="Lax")
        return resp

    @app.get("/")
    def home() -> Any:
        links = "".join(f'<a href="/s{n}/page">Page {n}</a>' for n in range(1, _PAGES + 1))
        return f"<!doctype html><title>Accueil</title><main>{links}</main>" if page_view() else redirect("/login")

    @app.get("/s<int:n>/page")
    def numbered(n: int) -> Any:
        body = f'<!doctype html><title>Page {n}</title><a href="/s{n}/leaf">Détail</a>'
        return body if page_view() else redirect("/login")

    @app.get("/s<int:n>/leaf")
    def leaf(n: int) -> Any:
        return "<!doctype html><title>Détail</title><p>x</p>" if f"/s{n}/leaf" == open_leaf else redirect("/login")

    return app


@pytest.fixture(params=[None, f"/s{_PAGES}/leaf"], ids=["leaves-protected", "last-leaf-open"])
def ending_target(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str | None, Path]]:
    open_leaf = request.param
    monkeypatch.setenv("HOMOLOG_TEST_FORM_APP_PASSWORD", _PASSWORD)
    # the leaves are found as links and probed, not opened by the crawl
    settings = {"security": {"inventory": {"crawl_exclude": ["/s*/leaf"]}}}
    with _form_login_app(_ending_app(open_leaf), tmp_path, "web app whose session ends", settings) as path:
        yield open_leaf, path


def test_a_session_ending_during_the_crawl_is_opened_again_and_the_crawl_goes_on(
    ending_target: tuple[str | None, Path], run_checks: RunChecks, tmp_path: Path
) -> None:
    open_leaf, target = ending_target
    result = run_checks([CHECK], target)[CHECK]
    inv = _inventory(result, tmp_path / "run-0")
    ended = [s for s in inv["sources"] if "the session ended after" in s]
    assert len(ended) == 1 and ended[0].endswith("; logged in again"), inv["sources"]
    lost = ended[0].split("the session ended after ")[1].split(";")[0]  # the page that met the ended session
    leaves = {urlsplit(e["url"]).path for e in inv["endpoints"] if e["url"].endswith("/leaf")}
    assert leaves == {f"/s{n}/leaf" for n in range(1, _PAGES + 1) if f"/s{n}/page" != lost}, (lost, leaves)
    if open_leaf is None:
        assert result["verdict"] == "passed", result["message"]
    else:
        # /s5/page is crawled only after the new login: what it links to is probed all the same
        assert result["verdict"] == "failed"
        assert f"GET {open_leaf} [link on /s{_PAGES}/page]: 200" in result["message"]
