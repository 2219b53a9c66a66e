"""UI and accessibility checks: Playwright on Chromium, axe-core mapped to RGAA 4.1.

Layout:
    browser.py        launch / connect Chromium once per session, TLS trust, target scope
    session.py        the `ui` object checks receive (page map, SPA routes, login, screenshots)
    settle.py         waiting for a page to settle; what a page shows (blank pages)
    static_page.py    proving a loaded document cannot change (no settle wait for it)
    fixtures.py       pytest fixtures `ui` and `ui_browser`
    axe.py            locating, injecting and running the pinned axe-core; RGAA mapping
    audit.py          per-session cache of page audits shared by the checks below
    keyboard_walk.py  the Tab walk the keyboard checks rely on
    outline.py        the heading outline of a page and homolog's heading rule (RGAA 9.1)
    params.py         parameters the checks share, and the keyboard walk they share
    a11y/{rgaa_criterion,headings}.py                     the checks ui.a11y.*
    keyboard/{tab_reachable,focus_visible,no_trap}.py     the checks ui.keyboard.*
"""

from __future__ import annotations

from homolog import RunOption, hookimpl

# Settings of this suite (`settings.ui` in a target); each has a run option, and the
# front ends fill it from the environment variable when neither is given.
_OPTIONS = [
    RunOption(
        "--browser-ws",
        "ui.browser_ws",
        "UI checks: connect to a remote Playwright browser server (ws://...) instead of launching Chromium",
        env="HOMOLOG_BROWSER_WS",
        metavar="URL",
    ),
    RunOption(
        "--browser-ws-executable",
        "ui.browser_ws_executable",
        "UI checks: the Chromium a `playwright run-server --unsafe` without bundled browsers must start",
        env="HOMOLOG_BROWSER_WS_EXECUTABLE",
        metavar="PATH",
    ),
    RunOption(
        "--chromium",
        "ui.chromium",
        "UI checks: the Chromium binary to launch (default /usr/bin/chromium-headless-shell, else /usr/bin/chromium)",
        env="HOMOLOG_CHROMIUM",
        metavar="PATH",
        kind="path",
    ),
    RunOption(
        "--axe-js",
        "ui.axe_js",
        "UI checks: the axe.min.js to use (axe-core 4.14.1)",
        env="HOMOLOG_AXE_JS",
        metavar="PATH",
        kind="path",
    ),
]


@hookimpl
def homolog_run_options() -> list[RunOption]:
    return list(_OPTIONS)


@hookimpl
def homolog_fixture_modules() -> list[str]:
    return ["homolog.suites.ui.fixtures"]


@hookimpl
def homolog_settings_schema() -> dict[str, object]:
    text = {"type": "string", "minLength": 1}
    properties: dict[str, object] = {o.setting.split(".", 1)[1]: text for o in _OPTIONS}
    # milliseconds without DOM change before a page is audited (settle.py)
    properties["quiet_ms"] = {"type": "integer", "minimum": 50, "maximum": 10_000}
    # false: no Playwright trace in a UI check's evidence (screenshots of failures stay)
    properties["trace"] = {"type": "boolean"}
    return {"ui": {"type": "object", "properties": properties}}
