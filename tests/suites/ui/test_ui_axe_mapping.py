"""RGAA decisions from axe results, and locating the pinned axe-core (no browser)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from homolog import CheckError
from homolog.suites.ui.axe import AXE_VERSION, TOP_ONLY_RULES, PageAudit, RuleResult, decide_criterion, find_axe_js


def audit(page: str, **outcomes: str) -> PageAudit:
    """A page audit whose rules (named like axe's, '_' for '-') have the given outcomes."""
    tests = {"image_alt": ("1.1.1",), "color_contrast": ("3.2.1",), "html_has_lang": ("8.3.1",)}
    rules = {
        name.replace("_", "-"): RuleResult(
            name.replace("_", "-"),
            outcome,
            tests[name],
            help="h",
            total=1,  # type: ignore[arg-type]
            nodes=({"target": ["img.logo"]},),
        )
        for name, outcome in outcomes.items()
    }
    return PageAudit(page, f"https://sut/{page}", AXE_VERSION, rules)


def test_violation_on_one_page_fails_the_criterion() -> None:
    audits = [audit("login", image_alt="pass"), audit("patient", image_alt="violation")]
    d = decide_criterion("1.1", audits)
    assert d.verdict == "failed"
    assert d.failing_pages == ("patient",)
    assert "image-alt" in d.message and "img.logo" in d.message


def test_incomplete_is_an_error_not_a_pass() -> None:
    d = decide_criterion("3.2", [audit("login", color_contrast="incomplete")])
    assert d.verdict == "error"
    assert "auditor" in d.message


def test_violation_wins_over_incomplete() -> None:
    audits = [audit("a", color_contrast="incomplete"), audit("b", color_contrast="violation")]
    assert decide_criterion("3.2", audits).verdict == "failed"


def test_nothing_to_test_is_not_applicable() -> None:
    d = decide_criterion("1.1", [audit("login", image_alt="inapplicable")])
    assert d.verdict == "not_applicable"


def test_all_rules_passing_passes() -> None:
    audits = [audit("login", image_alt="pass"), audit("list", image_alt="inapplicable")]
    d = decide_criterion("1.1", audits)
    assert d.verdict == "passed"
    assert "image-alt" in d.message


def test_other_criteria_are_ignored() -> None:
    audits = [audit("login", image_alt="violation", html_has_lang="pass")]
    assert decide_criterion("8.3", audits).verdict == "passed"


def test_criterion_without_axe_rule_cannot_be_decided() -> None:
    with pytest.raises(CheckError, match="attested manually"):
        decide_criterion("12.9", [audit("login", image_alt="pass")])


def test_bad_criterion_number_is_refused() -> None:
    with pytest.raises(CheckError, match="not an RGAA criterion"):
        decide_criterion("1.1.1", [audit("login", image_alt="pass")])


def test_missing_axe_says_how_to_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    from homolog.suites.ui.axe import axe_candidates

    nowhere = str(tmp_path / "nowhere.js")
    if any(p.is_file() for p in axe_candidates(nowhere)):
        pytest.skip("an axe-core is installed in the checkout's node_modules")
    with pytest.raises(CheckError, match=r"scripts/setup-ui\.sh"):
        find_axe_js(nowhere)


def test_axe_found_through_the_setting(tmp_path: Path) -> None:
    js = tmp_path / "axe.min.js"
    js.write_text("/* axe */", encoding="utf-8")
    path, source = find_axe_js(str(js))  # settings.ui.axe_js (homolog run --axe-js, env HOMOLOG_AXE_JS)
    assert path == js and source == "/* axe */"


def test_the_top_document_s_rules_are_those_the_pinned_axe_applies_to_it_alone() -> None:
    # frames axe could not enter leave other criteria undecided, not these: the list must
    # be the pinned axe's own (`matches: "is-initiator-matches"` in its source)
    _, source = find_axe_js()
    ours = set(re.findall(r'\{id:"([a-z-]+)",[^{}]*?matches:"is-initiator-matches"', source))
    assert ours == TOP_ONLY_RULES


def test_a_frame_axe_could_not_enter_leaves_the_criterion_undecided_but_not_the_page_s_own() -> None:
    page = audit("viewer", image_alt="pass", html_has_lang="pass")
    framed = replace(
        page,
        unaudited_frames=('iframe "Compte rendu" (https://viewer.example/cr)',),
        rules={**page.rules, "html-has-lang": replace(page.rules["html-has-lang"], top_only=True)},
    )
    d = decide_criterion("1.1", [framed])
    assert d.verdict == "error" and "viewer.example" in d.message and d.failing_pages == ("viewer",)
    assert decide_criterion("8.3", [framed]).verdict == "passed"  # the top document's language
    # a violation elsewhere is still a failure
    violated = replace(page.rules["image-alt"], outcome="violation")
    failing = replace(framed, rules={**framed.rules, "image-alt": violated})
    assert decide_criterion("1.1", [failing]).verdict == "failed"
