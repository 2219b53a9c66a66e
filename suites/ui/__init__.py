"""UI and accessibility checks: Playwright on Chromium, axe-core mapped to RGAA 4.1.

Layout:
    browser.py        launch / connect Chromium once per session, TLS trust, target scope
    session.py        the `ui` object checks receive (page map, login, screenshots)
    fixtures.py       pytest fixtures `ui` and `ui_browser`, option `--browser-ws`
    axe.py            locating, injecting and running the pinned axe-core; RGAA mapping
    audit.py          per-session cache of page audits shared by the checks below
    keyboard_walk.py  the Tab walk the keyboard checks rely on
    params.py         parameters the checks share
    a11y/rgaa_criterion.py                                the check ui.a11y.rgaa_criterion
    keyboard/{tab_reachable,focus_visible,no_trap}.py     the checks ui.keyboard.*
"""
