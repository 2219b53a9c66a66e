"""Pytest fixtures of the UI suite: `ui_browser` (session) and `ui` (per check).

- `ui_browser`: the session's BrowserManager. Creating it starts nothing; Chromium is
  launched when a check first opens a page, so a run without UI checks never starts it.
- `ui`: a `UiSession` for one check: a fresh browser context honouring the target's TLS
  settings, traced (unless `settings.ui.trace` is false: a faster, smaller run whose
  evidence keeps the screenshots of failures but no trace); closed before the check's
  result is recorded so that its trace and (on failure) a screenshot are part of the
  check's evidence.
- `settings.ui` of the target: `browser_ws` (a remote Playwright browser server instead of
  the local Chromium), `browser_ws_executable`, `chromium`; `homolog run` sets them from
  `--browser-ws`, `--browser-ws-executable`, `--chromium` (or the environment).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest

from homolog import Evidence, HttpClient, Target

if TYPE_CHECKING:
    from homolog.suites.ui.browser import BrowserManager
    from homolog.suites.ui.session import UiSession

# The browser and session modules (cryptography's X.509, the page settling and audit code)
# are imported by the fixtures that use them: every session registers this module, and a
# run without UI checks does not pay for them.

__all__ = ["ui", "ui_browser"]


@pytest.fixture(scope="session")
def ui_browser(target: Target) -> Generator[BrowserManager, None, None]:
    """The session's browser owner; Chromium starts lazily on first page use."""
    from homolog.suites.ui.browser import CHROMIUM_PATH, BrowserManager

    settings = target.settings("ui")
    manager = BrowserManager(
        ws_endpoint=settings.get("browser_ws") or None,
        executable_path=settings.get("chromium") or CHROMIUM_PATH,
        remote_executable=settings.get("browser_ws_executable") or None,
    )
    yield manager
    manager.close()


_UI_KEY = pytest.StashKey["UiSession"]()


@pytest.fixture
def ui(
    request: pytest.FixtureRequest, ui_browser: BrowserManager, target: Target, evidence: Evidence, http: HttpClient
) -> Generator[UiSession, None, None]:
    """Browser access for one check, by page-map names (see `UiSession`)."""
    from homolog.suites.ui.session import UiSession

    trace = target.settings("ui").get("trace", True) is not False
    session = UiSession(ui_browser, target, evidence, trace=trace, http=http)
    request.node.stash[_UI_KEY] = session
    yield session
    # Normally closed by the pytest_pyfunc_call wrapper below; this covers items that do
    # not go through it.
    report = request.node.stash.get(_REPORT_KEY, None)
    session.close(failed=report is None or report.failed)


_REPORT_KEY = pytest.StashKey[Any]()


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, Any, Any]:
    """Close the check's UI session before its outcome is reported (evidence complete)."""
    try:
        result = yield
    except BaseException as exc:
        session = pyfuncitem.stash.get(_UI_KEY, None)
        if session is not None:
            # A skip (criterion not applicable) is not a failure: no failure screenshot.
            session.close(failed=not isinstance(exc, pytest.skip.Exception))
        raise
    session = pyfuncitem.stash.get(_UI_KEY, None)
    if session is not None:
        session.close(failed=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, Any]:
    """Remember the call-phase report so that the `ui` teardown knows the outcome."""
    report = yield
    if call.when == "call":
        item.stash[_REPORT_KEY] = report
    return report
