"""UI and accessibility checks: Playwright on Chromium, axe-core mapped to RGAA 4.1.

Layout:
    browser.py        launch / connect Chromium once per session, TLS trust, target scope
    session.py        the `ui` object checks receive (page map, SPA routes, login, screenshots)
    settle.py         waiting for a page to settle; what a page shows (blank pages)
    fixtures.py       pytest fixtures `ui` and `ui_browser`, option `--browser-ws`
    axe.py            locating, injecting and running the pinned axe-core; RGAA mapping
    audit.py          per-session cache of page audits shared by the checks below
    keyboard.py       the Tab walk the keyboard checks rely on
    outline.py        the heading outline of a page and homolog's heading rule (RGAA 9.1)
    rgaa_criterion.py, headings.py, tab_reachable.py, focus_visible.py, keyboard_trap.py: the checks
"""
