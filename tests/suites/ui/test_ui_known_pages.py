"""The known-answer pages: each defect fails its RGAA criterion and only it; twins pass.

Drives the suite's library (axe runner, RGAA decision, keyboard walk) on one Chromium for
the module, without the engine: the checks themselves are exercised in test_ui_checks.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from homolog.fixtures.a11y_pages import DEFECTS, KEYBOARD_DEFECTS, UNDECIDABLE
from homolog.suites.ui.axe import PageAudit, decide_criterion, run_axe
from homolog.suites.ui.browser import CHROMIUM_ARGS, CHROMIUM_PATH
from homolog.suites.ui.keyboard_walk import KeyboardWalk, walk_keyboard

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page(a11y_base_url: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM_PATH, args=list(CHROMIUM_ARGS))
        context = browser.new_context()
        yield context.new_page()
        browser.close()


def audit(page: Any, base: str, path: str) -> PageAudit:
    page.goto(base + path)
    return run_axe(page, path)


def criteria_of(audit: PageAudit) -> set[str]:
    return {t.rsplit(".", 1)[0] for r in audit.rules.values() for t in r.rgaa_tests}


def verdicts(audit: PageAudit) -> dict[str, str]:
    return {c: decide_criterion(c, [audit]).verdict for c in sorted(criteria_of(audit))}


@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_defect_page_fails_exactly_its_criterion(page: Any, a11y_base_url: str, name: str) -> None:
    known = DEFECTS[name]
    result = verdicts(audit(page, a11y_base_url, known.path))
    failed = {c for c, v in result.items() if v == "failed"}
    assert failed == {known.criterion}, result
    assert not [c for c, v in result.items() if v == "error"], result


@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_accessible_twin_passes_every_automated_criterion(page: Any, a11y_base_url: str, name: str) -> None:
    result = verdicts(audit(page, a11y_base_url, DEFECTS[name].twin_path))
    assert set(result.values()) <= {"passed", "not_applicable"}, result
    assert result[DEFECTS[name].criterion] == "passed"


@pytest.mark.parametrize("name", sorted(UNDECIDABLE))
def test_undecidable_page_is_an_error_not_a_pass(page: Any, a11y_base_url: str, name: str) -> None:
    known = UNDECIDABLE[name]
    decision = decide_criterion(known.criterion, [audit(page, a11y_base_url, known.path)])
    assert decision.verdict == "error", decision


def walk(page: Any, base: str, path: str) -> KeyboardWalk:
    page.goto(base + path)
    return walk_keyboard(page, path, max_tabs=50)


def test_walk_finds_the_unreachable_control(page: Any, a11y_base_url: str) -> None:
    known = KEYBOARD_DEFECTS["kb-unreachable"]
    bad = walk(page, a11y_base_url, known.path)
    assert bad.unreached() == ['div[role=button] "Valider la saisie"']
    assert not bad.trap and not bad.truncated
    good = walk(page, a11y_base_url, known.twin_path)
    assert good.unreached() == [] and not good.trap


def test_walk_finds_the_invisible_focus(page: Any, a11y_base_url: str) -> None:
    known = KEYBOARD_DEFECTS["kb-focus-hidden"]
    assert walk(page, a11y_base_url, known.path).without_indicator() == ['button "Imprimer"']
    good = walk(page, a11y_base_url, known.twin_path)
    assert len(good.stops) == 2 and good.without_indicator() == []


def test_walk_finds_the_trap(page: Any, a11y_base_url: str) -> None:
    known = KEYBOARD_DEFECTS["kb-trap"]
    bad = walk(page, a11y_base_url, known.path)
    assert bad.trap == ['input#note "note"']
    good = walk(page, a11y_base_url, known.twin_path)
    assert not good.trap and not good.truncated and len(good.stops) == 3


def test_walk_goes_through_a_frame_without_calling_it_a_trap(page: Any, a11y_base_url: str) -> None:
    result = walk(page, a11y_base_url, "/frame-without-title-ok.html")
    assert not result.trap and not result.truncated
