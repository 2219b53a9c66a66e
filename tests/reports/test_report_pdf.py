"""The PDF report: same content as the HTML, readable as text, screenshots embedded."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from synthrun import build_run, demo_requirements

from homolog.reports import render


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


def test_big_run_prints_settled_requirements_compactly(tmp_path: Path) -> None:
    from homolog.reports import load_run
    from homolog.reports.html import build_html

    run = load_run(build_run(tmp_path / "run", demo_requirements()))
    page = build_html(run, "fr", tmp_path, variant="print", lazy_threshold=0)
    assert "listées en tableau" in page
    # Passed / attested / not applicable: one table row; the rest in full.
    for rid in ("MSS/CONF.01", "INS/va1.05", "PSC.08"):
        assert f'<tr><th scope="row"><span class="rid">{rid}</span>' in page
        assert f'data-id="{rid.lower()}"' not in page
    for rid in ("SSI/IAM.92", "DMP/HISTO.03", "SSI/IE.39", "SSI/IAM.80", "SSI/IE.48"):
        assert f'data-id="{rid.lower()}"' in page
    assert "<script" not in page and "<details" not in page
