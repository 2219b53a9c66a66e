"""UI and accessibility checks: Playwright on Chromium, axe-core mapped to RGAA 4.1.

Layout:
    browser.py        launch / connect Chromium once per session, TLS trust, target scope
    session.py        the `ui` object checks receive (page map, SPA routes, login, screenshots)
    settle.py         waiting for a page to settle; what a page shows (blank pages)
    fixtures.py       pytest fixtures `ui` and `ui_browser`, option `--browser-ws`
    axe.py            locating, injecting and running the pinned axe-core; RGAA mapping
    audit.py          per-session cache of page audits shared by the checks below
    keyboard_walk.py  the Tab walk the keyboard checks rely on
    outline.py        the heading outline of a page and homolog's heading rule (RGAA 9.1)
    params.py         parameters the checks share, and the keyboard walk they share
    a11y/{rgaa_criterion,headings}.py                     the checks ui.a11y.*
    keyboard/{tab_reachable,focus_visible,no_trap}.py     the checks ui.keyboard.*
"""
