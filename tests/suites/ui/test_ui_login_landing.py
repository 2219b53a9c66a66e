"""A form login that does not wait for its landing page still judges the login the same.

`UiSession.login(landing=False)` skips settling the page the login lands on, for callers
that open another page next; that next `goto()` tells whether the login held and, when
it did not, logs in the full way (landing page settled and judged) and opens the page
again. Three systems, served on 127.0.0.1:

- `plain`: the login sets the session; the landing page is never needed.
- `activate`: the landing page's script completes the login (as applications that
  exchange a first cookie for a session do), with an answer that takes a second: a caller
  that left the page at once (its request cancelled) finds the login page and must get the
  full login, then its page.
- `bounce`: the form accepts any password, the landing page's script finds no session and
  routes back to the login form: the login failed, whichever way it was waited for.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from loopback_web import LOGIN_FORM, QuietHandler, form_target, serving

from homolog import CheckError, Evidence, HttpClient, load_target
from homolog.suites.ui.browser import BrowserManager
from homolog.suites.ui.session import UiSession

pytestmark = pytest.mark.browser

PASSWORD = "Landing-password-2026"

_HEAD = "<!doctype html><html lang=fr><head><meta charset=utf-8><title>{}</title></head><body>"
# The landing page: its script asks who is logged in (and, for `activate`, completes the
# login first), then shows a greeting or routes back to the login form.
HOME = (
    _HEAD.format("Accueil") + "<h1>Accueil</h1><p id=who>…</p><script>"
    "fetch('/api/activate', {method: 'POST'}).then(() => fetch('/api/me')).then((r) => {"
    "  if (!r.ok) { location.replace('/login?expired=1'); return; }"
    "  setTimeout(() => { document.getElementById('who').textContent = 'Bonjour alice'; }, 300);"
    "});</script></body></html>"
)
RECORD = _HEAD.format("Dossier") + "<h1>Dossier</h1><p>MARTIN Camille</p></body></html>"


class _System:
    def __init__(self) -> None:
        self.mode = "plain"
        self.posts = 0


def _handler(system: _System) -> type[QuietHandler]:
    class Handler(QuietHandler):
        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if path == "/login":
                self.send(200, LOGIN_FORM)
            elif path == "/home":
                self.send(200, HOME)
            elif path == "/api/me":
                if system.mode == "bounce":
                    # the refusal comes a moment after the page loaded, as a real API's does: a
                    # caller that does not wait for the landing page has usually left it by then
                    time.sleep(0.5)
                self.send(200 if self.cookie("sid") == "good" else 401, "{}", {"Content-Type": "application/json"})
            elif path == "/broken":
                self.send(500, "<p>erreur</p>")
            elif path == "/record":
                if self.cookie("sid") == "good":
                    self.send(200, RECORD)
                else:
                    self.send(303, headers={"Location": "/login"})
            else:
                self.send(404, "not found")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode())
            if self.path == "/login":
                system.posts += 1
                right = form.get("p") == [PASSWORD] and form.get("u") == ["alice"]
                sid = "" if not right else "first" if system.mode == "activate" else "good"
                if system.mode == "bounce":
                    sid = ""
                headers = {"Location": "/home"}
                if sid:
                    headers["Set-Cookie"] = f"sid={sid}; Path=/; HttpOnly"
                self.send(303, headers=headers)
            elif self.path == "/api/activate":
                if self.cookie("sid") == "first":
                    time.sleep(1.0)
                    self.send(204, headers={"Set-Cookie": "sid=good; Path=/; HttpOnly"})
                else:
                    self.send(204)
            else:
                self.send(404, "not found")

    return Handler


@pytest.fixture(scope="module")
def system() -> Iterator[tuple[_System, str]]:
    state = _System()
    with serving(_handler(state)) as base:
        yield state, base


@pytest.fixture(scope="module")
def manager() -> Iterator[BrowserManager]:
    owner = BrowserManager()
    yield owner
    owner.close()


def _session(base: str, manager: BrowserManager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> UiSession:
    monkeypatch.setenv("HOMOLOG_TEST_LANDING_PASSWORD", PASSWORD)
    pages = {"home": {"path": "/home"}, "record": {"path": "/record"}, "broken": {"path": "/broken"}}
    path = form_target(tmp_path, base, "HOMOLOG_TEST_LANDING_PASSWORD", pages)
    target = load_target(path)
    evidence = Evidence(tmp_path / "evidence", "landing")
    return UiSession(manager, target, evidence, trace=False, http=HttpClient(target, evidence))


@contextlib.contextmanager
def _opened(
    system: tuple[_System, str], manager: BrowserManager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> Iterator[tuple[_System, UiSession]]:
    """The system in `mode` (its logins counted from 0) and a UI session on it, closed after."""
    state, base = system
    state.mode, state.posts = mode, 0
    ui = _session(base, manager, tmp_path, monkeypatch)
    try:
        yield state, ui
    finally:
        ui.close(failed=False)


def _record_shown(ui: UiSession) -> bool:
    return ui.at_page("record") and "MARTIN Camille" in ui.page.inner_text("body")


@pytest.mark.parametrize("landing", [True, False])
def test_a_login_that_holds_opens_the_next_page_with_one_login(
    system: tuple[_System, str], manager: BrowserManager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, landing: bool
) -> None:
    with _opened(system, manager, tmp_path, monkeypatch, "plain") as (state, ui):
        ui.login(landing=landing)
        # the landing page was settled (and judged) only when the caller asked for it
        assert ("login (after login)" in ui.settled) is landing
        ui.goto("record")
        assert _record_shown(ui)
        assert state.posts == 1


@pytest.mark.parametrize("landing", [True, False])
def test_a_login_its_landing_page_completes_reaches_the_page_either_way(
    system: tuple[_System, str], manager: BrowserManager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, landing: bool
) -> None:
    with _opened(system, manager, tmp_path, monkeypatch, "activate") as (state, ui):
        ui.login(landing=landing)
        ui.goto("record")
        assert _record_shown(ui), ui.page.url
        # without the landing page the first visit met the login form: one more login, the full way
        assert state.posts == (1 if landing else 2)
        assert "login (after login)" in ui.settled


def test_a_page_that_fails_for_another_reason_keeps_its_own_error(
    system: tuple[_System, str], manager: BrowserManager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _opened(system, manager, tmp_path, monkeypatch, "plain") as (state, ui):
        ui.login(landing=False)
        with pytest.raises(CheckError, match="answered HTTP 500"):
            ui.goto("broken")
        ui.login(landing=False)
        with pytest.raises(CheckError, match="no page 'nowhere'"):
            ui.goto("nowhere")
        # neither failure showed the login page: nobody logged in again
        assert state.posts == 2


def test_a_login_its_landing_page_refuses_fails_whichever_way_it_is_waited_for(
    system: tuple[_System, str], manager: BrowserManager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _opened(system, manager, tmp_path, monkeypatch, "bounce") as (_state, ui):
        with pytest.raises(CheckError, match="did not succeed"):
            ui.login()
        # not waited for, the same failure comes with the next page (not a page that is not the
        # record's), or with the login itself when the landing page had routed back already
        with pytest.raises(CheckError, match="did not succeed"):
            ui.login(landing=False)
            ui.goto("record")
