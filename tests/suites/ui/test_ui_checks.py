"""The UI checks end to end, through the engine (homolog.testing), against real servers.

- the reference SUT (HTTPS with its own CA, form login): clean passes every automated
  RGAA criterion; each accessibility defect switch fails its criterion and only it;
- the known-answer pages (plain HTTP, no login): each keyboard check fails on its defect
  page and passes on the twin.
"""

from __future__ import annotations

import copy
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from homolog.testing import run_referential

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[3]
RGAA = REPO / "referentials" / "rgaa" / "rgaa-4.1-4.1.2+2.yaml"


def axe_only_referential(tmp_path: Path) -> Path:
    """The automated RGAA requirements with their axe check only (keyboard walks cost time
    and are exercised on the known-answer pages below)."""
    doc = yaml.safe_load(RGAA.read_text(encoding="utf-8"))
    reqs = []
    for req in doc["requirements"]:
        checks = [c for c in req.get("checks", []) if c["check"] == "ui.a11y.rgaa_criterion"]
        if checks:
            reqs.append({**req, "checks": checks})
    doc["requirements"] = reqs
    path = tmp_path / "rgaa-axe-only.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def check_verdicts(run: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(req["id"], chk["check"]): chk for req in run["requirements"] for chk in req.get("checks") or []}


def test_clean_sut_passes_every_automated_rgaa_criterion(clean_sut: Any, tmp_path: Path) -> None:
    run = run_referential(RGAA, clean_sut.target_path, tmp_path / "run")
    results = check_verdicts(run)
    assert len({rid for rid, _ in results}) == 32
    bad = {k: (v["verdict"], v.get("message")) for k, v in results.items() if v["verdict"] not in ("passed", "skipped")}
    assert bad == {}
    for crit in ("1.1", "3.2", "8.3", "8.5", "11.1"):
        assert results[(f"RGAA-{crit}", "ui.a11y.rgaa_criterion")]["verdict"] == "passed"
    for rid, check in (
        ("RGAA-9.1", "ui.a11y.headings"),
        ("RGAA-7.3", "ui.keyboard.tab_reachable"),
        ("RGAA-10.7", "ui.keyboard.focus_visible"),
        ("RGAA-12.9", "ui.keyboard.no_trap"),
    ):
        assert results[(rid, check)]["verdict"] == "passed"
    # A skip is a criterion with nothing to test on these pages, said as such.
    for (rid, _), v in results.items():
        if v["verdict"] == "skipped":
            assert "no element the automated rules test" in v["message"], rid
    manual = [r for r in run["requirements"] if r["verdict"] == "manual"]
    assert len(manual) == 106 - 32
    # The check that logged in left a trace of it, without the password.
    traces = list((tmp_path / "run").glob("evidence/**/*trace.zip"))
    assert traces, "no UI check attached a trace"
    password = clean_sut.env["HOMOLOG_DEMO_PASSWORD"].encode()
    filled = False
    for trace in traces:
        with zipfile.ZipFile(trace) as z:
            members = [z.read(n) for n in z.namelist()]
        filled = filled or any(b'"fill"' in m for m in members)
        assert not any(password in m for m in members), trace
    assert filled, "the login form fill is not in any trace"


@pytest.mark.parametrize(
    ("defect", "criterion"),
    [("img-without-alt", "1.1"), ("low-contrast", "3.2"), ("missing-lang", "8.3")],
)
def test_defect_fails_its_rgaa_criterion_and_only_it(
    refsut: Callable[..., Any], tmp_path: Path, defect: str, criterion: str
) -> None:
    sut = refsut(defects={defect})
    run = run_referential(axe_only_referential(tmp_path), sut.target_path, tmp_path / "run")
    results = check_verdicts(run)
    failed = {rid for (rid, _), v in results.items() if v["verdict"] == "failed"}
    errors = {rid: v["message"] for (rid, _), v in results.items() if v["verdict"] == "error"}
    assert failed == {f"RGAA-{criterion}"}
    assert errors == {}
    failing = results[(f"RGAA-{criterion}", "ui.a11y.rgaa_criterion")]
    # The report shows a screenshot of the failing pages.
    assert any(p.endswith(".png") for p in failing["evidence"]), failing["evidence"]
    png = tmp_path / "run" / next(p for p in failing["evidence"] if p.endswith(".png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def known_pages_referential(tmp_path: Path) -> Path:
    """Each UI check on a defect page and on its twin (no login: plain pages)."""
    cases = [
        ("KB-REACH-BAD", "ui.keyboard.tab_reachable", "kb_unreachable"),
        ("KB-REACH-OK", "ui.keyboard.tab_reachable", "kb_unreachable_ok"),
        ("KB-FOCUS-BAD", "ui.keyboard.focus_visible", "kb_focus_hidden"),
        ("KB-FOCUS-OK", "ui.keyboard.focus_visible", "kb_focus_hidden_ok"),
        ("KB-TRAP-BAD", "ui.keyboard.no_trap", "kb_trap"),
        ("KB-TRAP-OK", "ui.keyboard.no_trap", "kb_trap_ok"),
        ("KB-REACH-TRAPPED", "ui.keyboard.tab_reachable", "kb_trap"),
        ("AXE-CONTRAST-BAD", "ui.a11y.rgaa_criterion", "low_contrast"),
        ("AXE-CONTRAST-OK", "ui.a11y.rgaa_criterion", "low_contrast_ok"),
        ("AXE-CONTRAST-UNDECIDED", "ui.a11y.rgaa_criterion", "contrast_undecidable"),
    ]
    doc = {
        "format": "homolog.referential/1",
        "id": "ui-known-pages",
        "version": "0.0.0",
        "title": "UI checks on the known-answer pages",
        "publisher": "homolog tests",
        "date": "2026-11-22",
        "requirements": [
            {
                "id": rid,
                "title": rid,
                "text": f"{check} on {page}",
                "level": "exigence",
                "source": {"document": "homolog tests"},
                "checks": [
                    {
                        "check": check,
                        "with": {
                            "pages": [page],
                            "login": False,
                            **({"criterion": "3.2"} if check.startswith("ui.a11y") else {}),
                        },
                    }
                ],
            }
            for rid, check, page in cases
        ],
    }
    path = tmp_path / "ui-known-pages.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_ui_checks_on_known_answer_pages(a11y_target: Path, tmp_path: Path) -> None:
    run = run_referential(known_pages_referential(tmp_path), a11y_target, tmp_path / "run")
    got = {req["id"]: req["checks"][0] for req in run["requirements"]}
    verdicts = {rid: chk["verdict"] for rid, chk in got.items()}
    assert verdicts == {
        "KB-REACH-BAD": "failed",
        "KB-REACH-OK": "passed",
        "KB-FOCUS-BAD": "failed",
        "KB-FOCUS-OK": "passed",
        "KB-TRAP-BAD": "failed",
        "KB-TRAP-OK": "passed",
        "KB-REACH-TRAPPED": "error",
        "AXE-CONTRAST-BAD": "failed",
        "AXE-CONTRAST-OK": "passed",
        "AXE-CONTRAST-UNDECIDED": "error",
    }
    assert "needs review" in got["AXE-CONTRAST-UNDECIDED"]["message"]
    assert "Valider la saisie" in got["KB-REACH-BAD"]["message"]
    assert 'button "Imprimer"' in got["KB-FOCUS-BAD"]["message"]
    assert "input#note" in got["KB-TRAP-BAD"]["message"]
    for rid in ("KB-REACH-BAD", "KB-FOCUS-BAD", "KB-TRAP-BAD", "AXE-CONTRAST-BAD"):
        assert any(p.endswith(".png") for p in got[rid]["evidence"]), rid


def test_without_traces_the_verdicts_are_the_same_and_failures_keep_their_screenshot(
    a11y_target: Path, tmp_path: Path
) -> None:
    picked = "KB-REACH-BAD or AXE-CONTRAST-OK"
    referential = known_pages_referential(tmp_path)
    runs = {
        trace: run_referential(
            referential, a11y_target, tmp_path / f"run-{trace}", keyword=picked, settings={"ui.trace": trace}
        )
        for trace in (True, False)
    }
    checks = {
        trace: {r["id"]: r["checks"][0] for r in run["requirements"] if not r.get("deselected")}
        for trace, run in runs.items()
    }
    assert {rid: c["verdict"] for rid, c in checks[False].items()} == {
        "KB-REACH-BAD": "failed",
        "AXE-CONTRAST-OK": "passed",
    }
    assert {rid: (c["verdict"], c["message"]) for rid, c in checks[False].items()} == {
        rid: (c["verdict"], c["message"]) for rid, c in checks[True].items()
    }
    traced = {rid for rid, c in checks[True].items() if any(p.endswith("trace.zip") for p in c["evidence"])}
    assert traced == {"KB-REACH-BAD", "AXE-CONTRAST-OK"}
    assert not list((tmp_path / "run-False").glob("evidence/**/*trace*.zip"))
    assert any(p.endswith(".png") for p in checks[False]["KB-REACH-BAD"]["evidence"])


def rgaa_on_pages(tmp_path: Path, cases: list[tuple[str, str, str]]) -> Path:
    """Requirements of the RGAA referential, each run on one known-answer page.

    `cases` are (new requirement id, RGAA criterion, page): the criterion's checks, with
    their parameters, are copied as published and pointed at that page (no login).
    """
    published = {r["id"]: r for r in yaml.safe_load(RGAA.read_text(encoding="utf-8"))["requirements"]}
    reqs = []
    for rid, criterion, page in cases:
        source = published[f"RGAA-{criterion}"]
        checks = [
            {"check": c["check"], "with": {**(c.get("with") or {}), "pages": [page], "login": False}}
            for c in source["checks"]
        ]
        # copied by value: a shared text object would be written as a YAML alias
        reqs.append({**copy.deepcopy(source), "id": rid, "checks": checks})
    doc = {
        "format": "homolog.referential/1",
        "id": "rgaa-known-pages",
        "version": "0.0.0",
        "title": "RGAA criteria on the known-answer pages",
        "publisher": "homolog tests",
        "date": "2026-11-29",
        "requirements": reqs,
    }
    path = tmp_path / "rgaa-known-pages.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_rgaa_keyboard_and_heading_criteria_on_known_answer_pages(a11y_target: Path, tmp_path: Path) -> None:
    cases = [
        # accessible variants: native composite controls, focus drawn by box-shadow
        *[(f"{c}-DATE", c, "composite_controls") for c in ("7.3", "10.7", "12.9")],
        *[(f"{c}-SHADOW", c, "focus_box_shadow") for c in ("7.3", "10.7", "12.9")],
        # a real trap, a heading skip, sections without headings, and their twins
        ("12.9-TRAP", "12.9", "kb_trap"),
        ("12.9-TRAP-OK", "12.9", "kb_trap_ok"),
        ("9.1-SKIP", "9.1", "heading_skip"),
        ("9.1-SKIP-OK", "9.1", "heading_skip_ok"),
        ("9.1-MISSING", "9.1", "headings_missing"),
        ("9.1-MISSING-OK", "9.1", "headings_missing_ok"),
        # pages opening on a modal dialog: walked behind it once Escape closed it, or held by
        # one Escape leaves open (undecided, not a trap); focus drawn by a label, or only on a
        # transparent control
        *[(f"{c}-MODAL", c, "modal_at_load") for c in ("7.3", "10.7", "12.9")],
        *[(f"{c}-MODAL-SCRIPT", c, "modal_at_load_script") for c in ("7.3", "10.7", "12.9")],
        *[(f"{c}-HELD", c, "modal_no_escape") for c in ("7.3", "10.7", "12.9")],
        ("10.7-TRANSPARENT", "10.7", "kb_focus_transparent"),
        ("10.7-TRANSPARENT-OK", "10.7", "kb_focus_transparent_ok"),
        ("10.7-BLEND", "10.7", "kb_focus_blend"),
        ("10.7-BLEND-OK", "10.7", "kb_focus_blend_ok"),
        # focus drawn by a box beside a transparent input; a field checked on blur; a field
        # framed by its wrapper's other children
        ("10.7-SIBLING", "10.7", "kb_focus_sibling"),
        ("10.7-SIBLING-OK", "10.7", "kb_focus_sibling_ok"),
        ("10.7-BLUR", "10.7", "kb_focus_blur_check"),
        ("10.7-BLUR-OK", "10.7", "kb_focus_blur_check_ok"),
        ("10.7-WRAPPED", "10.7", "kb_focus_wrapped"),
        ("10.7-WRAPPED-OK", "10.7", "kb_focus_wrapped_ok"),
        # a page of web components: headings and controls in shadow roots
        *[(f"{c}-COMPONENTS", c, "web_components") for c in ("9.1", "10.7", "12.9")],
        # frames: walked and audited with their page; one out of the target's scope is not
        ("10.7-FRAME", "10.7", "kb_frame_focus_hidden"),
        ("10.7-FRAME-OK", "10.7", "kb_frame_focus_hidden_ok"),
        ("1.1-FRAME", "1.1", "img_in_frame"),
        ("1.1-FRAME-OK", "1.1", "img_in_frame_ok"),
        # a mail body in a frame sandboxed without scripts (audited apart); a text's contrast
        # in a frame (measured where the page shows it)
        ("1.1-SANDBOX", "1.1", "img_in_sandboxed_frame"),
        ("1.1-SANDBOX-OK", "1.1", "img_in_sandboxed_frame_ok"),
        ("3.2-FRAME", "3.2", "contrast_in_frame"),
        ("3.2-FRAME-OK", "3.2", "contrast_in_frame_ok"),
        *[(f"{c}-OUT", c, "frame_out_of_scope") for c in ("1.1", "7.3", "10.7")],
        ("8.5-OUT", "8.5", "frame_out_of_scope"),
        ("9.1-OUT", "9.1", "frame_out_of_scope"),
        ("9.1-FRAME", "9.1", "heading_skip_in_frame"),
        ("9.1-FRAME-OK", "9.1", "heading_skip_in_frame_ok"),
    ]
    run = run_referential(rgaa_on_pages(tmp_path, cases), a11y_target, tmp_path / "run")
    got = {req["id"]: req for req in run["requirements"]}
    verdicts = {rid: req["verdict"] for rid, req in got.items()}
    assert verdicts == {
        "7.3-DATE": "passed",
        "10.7-DATE": "passed",
        "12.9-DATE": "passed",
        "7.3-SHADOW": "passed",
        "10.7-SHADOW": "passed",
        "12.9-SHADOW": "passed",
        "12.9-TRAP": "failed",
        "12.9-TRAP-OK": "passed",
        "9.1-SKIP": "failed",
        "9.1-SKIP-OK": "passed",
        "9.1-MISSING": "failed",
        "9.1-MISSING-OK": "passed",
        # 7.3: axe finds nothing its rules test there (skipped), the Tab walk passes (below)
        **{f"{c}-MODAL": "skipped" if c == "7.3" else "passed" for c in ("7.3", "10.7", "12.9")},
        **{f"{c}-MODAL-SCRIPT": "skipped" if c == "7.3" else "passed" for c in ("7.3", "10.7", "12.9")},
        **{f"{c}-HELD": "error" for c in ("7.3", "10.7", "12.9")},
        "10.7-TRANSPARENT": "failed",
        "10.7-TRANSPARENT-OK": "passed",
        "10.7-BLEND": "failed",
        "10.7-BLEND-OK": "passed",
        "10.7-SIBLING": "failed",
        "10.7-SIBLING-OK": "passed",
        "10.7-BLUR": "failed",
        "10.7-BLUR-OK": "passed",
        "10.7-WRAPPED": "failed",
        "10.7-WRAPPED-OK": "passed",
        **{f"{c}-COMPONENTS": "passed" for c in ("9.1", "10.7", "12.9")},
        "10.7-FRAME": "failed",
        "10.7-FRAME-OK": "passed",
        "1.1-FRAME": "failed",
        "1.1-FRAME-OK": "passed",
        "1.1-SANDBOX": "failed",
        "1.1-SANDBOX-OK": "passed",
        "3.2-FRAME": "failed",
        "3.2-FRAME-OK": "passed",
        **{f"{c}-OUT": "error" for c in ("1.1", "7.3", "10.7")},
        "8.5-OUT": "passed",  # the page's title: the top document's alone
        "9.1-OUT": "error",
        "9.1-FRAME": "failed",
        "9.1-FRAME-OK": "passed",
    }
    message = got["9.1-SKIP"]["checks"][0]["message"]
    assert message == (
        'RGAA 9.1 is not met: page \'heading_skip\': h1 "Dossier patient (exemple)" then h3 "Identité" skips level 2'
    )
    assert "2 section(s) but no heading" in got["9.1-MISSING"]["checks"][0]["message"]
    assert "input#note" in got["12.9-TRAP"]["checks"][0]["message"]
    for rid in ("7.3-MODAL", "7.3-MODAL-SCRIPT"):
        by_check = {c["check"]: c["verdict"] for c in got[rid]["checks"]}
        assert by_check["ui.keyboard.tab_reachable"] == "passed", got[rid]
    for c in ("7.3", "10.7", "12.9"):
        message = next(k["message"] for k in got[f"{c}-HELD"]["checks"] if k["check"].startswith("ui.keyboard."))
        assert 'a modal dialog (div[role=dialog] "Nouveautés") keeps focus and Escape does not close it' in message
    assert 'input#canal-sms "canal"' in got["10.7-TRANSPARENT"]["checks"][0]["message"]
    assert "input#dmp" in got["10.7-SIBLING"]["checks"][0]["message"]
    assert 'input#nom "nom"' in got["10.7-BLUR"]["checks"][0]["message"]
    assert 'iframe "Ordonnance" > button "Imprimer"' in got["10.7-FRAME"]["checks"][0]["message"]
    for c in ("1.1", "7.3", "10.7"):
        messages = " ".join(k["message"] or "" for k in got[f"{c}-OUT"]["checks"])
        assert "Agenda partagé" in messages, got[f"{c}-OUT"]


def test_a_page_that_shows_nothing_is_an_error_naming_it(a11y_target: Path, tmp_path: Path) -> None:
    cases = [("BLANK-3.2", "3.2", "blank"), ("BLANK-9.1", "9.1", "blank"), ("BLANK-12.9", "12.9", "blank")]
    run = run_referential(rgaa_on_pages(tmp_path, cases), a11y_target, tmp_path / "run")
    for req in run["requirements"]:
        assert req["verdict"] == "error", req
        for chk in req["checks"]:
            assert chk["verdict"] == "error", chk
            assert "page 'blank'" in chk["message"] and "shows no text and no control" in chk["message"], chk


def spa_target(base_url: str, path: Path) -> Path:
    """The single-page application of the known-answer pages, mapped by its routes."""
    login_locators = {"username": "#username", "password": "#password", "submit": "#login-submit"}
    doc = {
        "format": "homolog.target/1",
        "system": {"name": "homolog SPA page", "version": "1.0.0"},
        "base_urls": {"web": base_url},
        "auth": {"web": {"type": "form", "username": "alice", "password_env": "HOMOLOG_TEST_SPA_PASSWORD"}},
        "pages": {
            "login": {"path": "/spa.html#/login", "locators": login_locators},
            "patients": {"path": "/spa.html#/patients", "ready": "#patient-list"},
            "patients_in_app": {"path": "/spa/patients", "navigation": "in-app", "ready": "#patient-list"},
            # another document: the application starts again and has forgotten the login
            "patients_reloaded": {"path": "/spa.html?reload=1#/patients"},
            "patients_never_ready": {"path": "/spa.html#/patients", "ready": "#no-such-thing"},
        },
    }
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def spa_referential(tmp_path: Path, cases: list[tuple[str, str, list[str]]]) -> Path:
    doc = {
        "format": "homolog.referential/1",
        "id": "spa-pages",
        "version": "0.0.0",
        "title": "UI checks on a single-page application",
        "publisher": "homolog tests",
        "date": "2026-11-29",
        "requirements": [
            {
                "id": rid,
                "title": rid,
                "text": f"{check} on {pages}",
                "level": "exigence",
                "source": {"document": "homolog tests"},
                "checks": [
                    {
                        "check": check,
                        "with": {"pages": pages, **({"criterion": "8.5"} if check.endswith("criterion") else {})},
                    }
                ],
            }
            for rid, check, pages in cases
        ],
    }
    path = tmp_path / "spa.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def test_single_page_application_routes_are_audited_as_users_see_them(
    a11y_base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMOLOG_TEST_SPA_PASSWORD", "Spa-password-2026")
    target = spa_target(a11y_base_url, tmp_path / "spa-target.yaml")
    cases = [
        ("HASH-ROUTE", "ui.a11y.headings", ["login", "patients"]),
        ("HISTORY-ROUTE", "ui.a11y.rgaa_criterion", ["login", "patients", "patients_in_app"]),
        ("LOGIN-WALL", "ui.a11y.headings", ["patients_reloaded"]),
        ("NEVER-READY", "ui.a11y.headings", ["patients_never_ready"]),
    ]
    run = run_referential(spa_referential(tmp_path, cases), target, tmp_path / "run")
    got = {req["id"]: req["checks"][0] for req in run["requirements"]}
    assert {rid: c["verdict"] for rid, c in got.items()} == {
        "HASH-ROUTE": "passed",
        "HISTORY-ROUTE": "passed",
        "LOGIN-WALL": "error",
        "NEVER-READY": "error",
    }, {rid: c.get("message") for rid, c in got.items()}
    assert "page 'patients_reloaded'" in got["LOGIN-WALL"]["message"]
    assert "login wall" in got["LOGIN-WALL"]["message"]
    assert "ready selector '#no-such-thing' did not appear" in got["NEVER-READY"]["message"]
    # What was audited is the rendered route, not the loading shell.
    evidence = tmp_path / "run" / "evidence"
    headings = json.loads(next(evidence.glob("HASH-ROUTE*@*headings.json")).read_text("utf-8"))
    by_page = {o["page"]: o for o in headings}
    assert [h["text"] for h in by_page["patients"]["headings"]] == ["Patients"]
    axe = json.loads(next(evidence.glob("HISTORY-ROUTE*@*axe-rgaa-8.5.json")).read_text("utf-8"))
    in_app = next(p for p in axe["pages"] if p["page"] == "patients_in_app")
    assert in_app["url"].endswith("/spa/patients") and in_app["settled"]["ready_selector"] == "#patient-list"
