"""Coverage on the report's first screen, and the ids to confirm listed in one place (HTML and PDF)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import lxml.html
import pytest
from synthrun import XSS_PAYLOADS, SynthCheck, SynthReq, build_run

from homolog.reports import load_run, render
from homolog.reports.coverage import run_coverage
from homolog.reports.html import build_html

REASON = "numérotation d'un projet de DSR, absente de l'édition publiée"


def _reqs(to_confirm: bool = True) -> list[SynthReq]:
    confirm = {"document": "DSR", "to_confirm": REASON} if to_confirm else {"document": "DSR"}
    return [
        SynthReq("A.1", "passed", [SynthCheck("x.y.ok", "passed")], family="acces", title="Connexion"),
        SynthReq("A.2", "failed", [SynthCheck("x.y.ko", "failed")], family="acces", source=confirm, title="Verrou"),
        SynthReq("A.3", "attested", family="acces", attestation={"evidence_expected": "procédure"}),
        SynthReq("D.1", "error", [SynthCheck("x.y.err", "error")], family="docs"),
        SynthReq("D.2", "not_applicable", family="docs", kind="automated", reason="profile: PFI only"),
        SynthReq("D.3", "skipped", family="docs", kind="not_tested", reason="not tested: imprimante", source=confirm),
        SynthReq("D.4", "manual", family="docs", attestation={"evidence_expected": "capture"}),
    ]


def _html(tmp_path: Path, reqs: list[SynthReq], lang: str = "fr") -> lxml.html.HtmlElement:
    run = build_run(tmp_path / "run", reqs)
    return lxml.html.fromstring(build_html(load_run(run), lang, run / "reports"))


def _cells(row: lxml.html.HtmlElement) -> list[str]:
    return [" ".join(c.text_content().split()) for c in row]


def test_first_screen_shows_coverage_per_family_with_the_verdicts_of_the_automated_ones(tmp_path: Path) -> None:
    page = _html(tmp_path, _reqs())
    (table,) = page.cssselect("section.coverage table")
    rows = [_cells(r) for r in table.cssselect("tbody tr")]
    assert rows == [
        ["acces", "2", "1 Non conforme 1 Conforme", "1", "0", "3", "67 %"],
        ["docs", "2", "1 Erreur 1 Non applicable", "1", "1", "4", "50 %"],
    ]
    assert _cells(table.cssselect("tfoot tr")[0])[1:] == [
        "4",
        "1 Non conforme 1 Erreur 1 Conforme 1 Non applicable",
        "2",
        "1",
        "7",
        "57 %",
    ]
    # first thing after the verdict tiles: before the run's details and the other summary tables
    order = [el for el in page.iter() if el.get("class") in ("tiles", "coverage", "meta", "grid")]
    assert [el.get("class") for el in order[:3]] == ["tiles", "coverage", "grid"]
    assert order.index(page.cssselect("section.meta")[0]) > order.index(page.cssselect("section.coverage")[0])


def test_a_family_is_named_by_its_title_in_the_report_language(tmp_path: Path) -> None:
    run_dir = build_run(tmp_path / "run", _reqs())
    run = load_run(run_dir)
    families = {"acces": {"fr": "Accès", "en": "Access"}}
    doc = dataclasses.replace(run.doc, referential=dataclasses.replace(run.doc.referential, families=families))
    (run_dir / "run.json").write_text(json.dumps(doc.to_json()), encoding="utf-8")
    for lang, name in (("fr", "Accès (acces)"), ("en", "Access (acces)")):
        page = lxml.html.fromstring(build_html(load_run(run_dir), lang, run_dir / "reports"))
        names = [_cells(r)[0] for r in page.cssselect("section.coverage tbody tr")]
        assert names == [name, "docs"]


def test_coverage_of_a_run_counts_the_run_format_kinds(tmp_path: Path) -> None:
    run = load_run(build_run(tmp_path / "run", _reqs()))
    cov = run_coverage(run, "en")
    assert [(f.family, dict(f.counts)) for f in cov.families] == [
        ("acces", {"automated": 2, "manual": 1, "not_tested": 0}),
        ("docs", {"automated": 2, "manual": 1, "not_tested": 1}),
    ]
    assert cov.families[1].verdicts == {
        "automated": {"error": 1, "not_applicable": 1},
        "not_tested": {"skipped": 1},
        "manual": {"manual": 1},
    }
    assert dict(cov.families[0].checks) == {"x.y.ko": 1, "x.y.ok": 1}


def test_ids_to_confirm_are_listed_in_one_section(tmp_path: Path) -> None:
    page = _html(tmp_path, _reqs(), lang="en")
    (section,) = page.cssselect("section.to-confirm")
    assert " ".join(section.cssselect("h2")[0].text_content().split()) == (
        "Ids to confirm against the published text (2)"
    )
    rows = [_cells(r) for r in section.cssselect("tbody tr")]
    assert rows == [["A.2", "Verrou", REASON], ["D.3", "Exigence synthétique", REASON]]
    assert section.cssselect("a")[0].get("href") == "#req-A.2"
    text = page.text_content()
    assert text.count(REASON) == 2  # the one place: the reasons are not repeated elsewhere


def test_no_section_when_every_id_is_confirmed(tmp_path: Path) -> None:
    page = _html(tmp_path, _reqs(to_confirm=False))
    assert not page.cssselect("section.to-confirm")


def test_a_hostile_reason_stays_text(tmp_path: Path) -> None:
    reqs = [
        SynthReq(
            f"X.{i}",
            "passed",
            [SynthCheck("x.y.ok", "passed")],
            family=payload,
            source={"document": "d", "to_confirm": payload},
            title=payload,
        )
        for i, payload in enumerate(XSS_PAYLOADS)
    ]
    page = _html(tmp_path, reqs)
    assert not page.cssselect("section.to-confirm script, section.coverage script, section.to-confirm img")
    rows = [_cells(r) for r in page.cssselect("section.to-confirm tbody tr")]
    assert [r[2] for r in rows] == [" ".join(p.split()) for p in XSS_PAYLOADS]


@pytest.mark.slow
def test_pdf_lists_the_ids_to_confirm_and_the_coverage(tmp_path: Path) -> None:
    from pypdf import PdfReader

    run = build_run(tmp_path / "run", _reqs())
    path = render(run, ["pdf"], lang="en")["pdf"]
    first = " ".join(PdfReader(path).pages[0].extract_text().split())
    assert "Coverage of the referential" in first
    assert "Ids to confirm against the published text (2)" in first
    for rid in ("A.2", "D.3"):
        assert rid in first
    assert " ".join(REASON.split()[:4]) in first
    assert "57 %" in first  # the whole referential's share automated
