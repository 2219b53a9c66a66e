"""The PDF report: summary and requirement pages, evidence referenced by hash, bounded excerpts, streamed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from synthrun import SynthCheck, SynthReq, build_run, demo_requirements, png

from homolog.reports import pdf, render


def _pdftotext(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is needed: apt-get install -y poppler-utils")
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_pdf_has_summary_requirements_waiver_and_images(tmp_path: Path) -> None:
    run = build_run(tmp_path / "run", demo_requirements())
    path = render(run, ["pdf"])["pdf"]
    text = _pdftotext(path)
    for needle in (
        "Rapport d'homologation",
        "Non conforme",
        "SSI/IAM.92",
        "DMP/HISTO.03",
        "Correctif livré en version 1.1",
        "Procédure signée du référent identitovigilance",
        "POST https://127.0.0.1:8443/login → 200",
        "le compte n'est pas verrouillé après 10 échecs",
    ):
        assert needle in text, needle
    if shutil.which("pdfimages") is None:
        pytest.fail("pdfimages is needed: apt-get install -y poppler-utils")
    images = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True)
    assert " 240    90 " in images.stdout  # the screenshot, at its size


def _squeezed(text: str) -> str:
    """The text without any whitespace: a long line wraps anywhere in the PDF."""
    return "".join(text.split())


def test_big_run_lists_settled_requirements_one_line_each(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "COMPACT_ABOVE", 0)
    run = build_run(tmp_path / "run", demo_requirements())
    text = _pdftotext(render(run, ["pdf"])["pdf"])
    assert _squeezed("tiennent une ligne chacune") in _squeezed(text)  # the summary says so
    assert "Exigences réglées (une ligne chacune)" in text
    # passed / attested / not applicable: one line; the rest in full (their text printed)
    for rid in ("MSS/CONF.01", "INS/va1.05", "PSC.08"):
        assert re.search(rf"(Conforme|Attesté|Non applicable) · {re.escape(rid)} .*", text), rid
        assert not re.search(rf"· {re.escape(rid)} .*\n\s*Le système DOIT", text), rid
    for rid in ("SSI/IAM.92", "DMP/HISTO.03", "SSI/IE.39", "SSI/IAM.80", "SSI/IE.48"):
        assert re.search(rf"· {re.escape(rid)} .*\n\s*Le système DOIT", text), rid


def test_evidence_is_referenced_by_name_size_and_sha256(tmp_path: Path) -> None:
    run = build_run(tmp_path / "run", demo_requirements())
    text = _squeezed(_pdftotext(render(run, ["pdf"])["pdf"]))
    files = [p for p in sorted((run / "evidence").rglob("*")) if p.is_file()]
    assert len(files) >= 6
    for path in files:
        rel = path.relative_to(run).as_posix()
        assert _squeezed(f"{rel} · {path.stat().st_size} o · SHA-256 {_sha(path)}") in text, rel


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_excerpts_are_bounded(tmp_path: Path) -> None:
    """A 3 MB validator output gives a few lines; screenshots stop at the report's limit."""
    huge = "\n".join(f"<svrl:failed-assert n='{i}'/>" for i in range(100_000)) + "\nLAST-LINE-MARKER\n"
    shots = [
        SynthReq(
            f"UI.{i:02d}",
            "failed",
            checks=[SynthCheck("ui.a11y.x", "failed", "contraste", evidence=[("shot.png", png(64, 32, seed=i))])],
        )
        for i in range(pdf.MAX_IMAGES + 6)
    ]
    big = SynthReq(
        "DOC.01", "failed", checks=[SynthCheck("documents.cda.x", "failed", "invalide", evidence=[("svrl.xml", huge)])]
    )
    run = build_run(tmp_path / "run", [big, *shots])
    path = render(run, ["pdf"])["pdf"]
    text = _pdftotext(path)
    assert "<svrl:failed-assert n='0'/>" in text and "LAST-LINE-MARKER" not in text
    assert "extrait tronqué" in text
    assert text.count("capture non reproduite") == 6
    images = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True).stdout
    assert sum(1 for line in images.splitlines() if "    64    32 " in line) == pdf.MAX_IMAGES
    assert path.stat().st_size < 1_000_000


def test_parts_join_with_running_page_numbers_and_an_outline(tmp_path: Path) -> None:
    from pypdf import PdfReader

    from homolog.reports import load_run

    run = load_run(build_run(tmp_path / "run", demo_requirements() * 1))
    path = tmp_path / "small-parts.pdf"
    count = pdf.render_pdf(run, path, "fr", chunk_weight=8)  # a part every few requirements
    reader = PdfReader(path)
    assert count == len(reader.pages) >= 4
    for number in range(1, count + 1):
        page = subprocess.run(
            ["pdftotext", "-layout", "-f", str(number), "-l", str(number), str(path), "-"],
            capture_output=True,
            text=True,
        ).stdout
        assert page.rstrip().endswith(str(number)), (number, page[-200:])
    titles = [item.title for item in _flatten(reader.outline)]
    for rid in ("SSI/IAM.92", "DMP/HISTO.03", "SSI/IE.48"):
        assert any(rid in t for t in titles), rid


def _flatten(outline: Any) -> list[Any]:
    out = []
    for item in outline:
        out += _flatten(item) if isinstance(item, list) else [item]
    return out


def test_text_from_the_run_cannot_break_out_of_the_stylesheet(tmp_path: Path) -> None:
    hostile = 'DPI"}</style><h1>INJECTED</h1><style>{'
    run = build_run(tmp_path / "run", demo_requirements(), target_name=hostile)
    text = _pdftotext(render(run, ["pdf"])["pdf"])
    assert hostile in text.replace("\n", "")  # printed as text, in the summary and the footers
    assert "\nINJECTED\n" not in text
