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


@pytest.mark.parametrize("jobs", [1, 2])
def test_parts_join_with_running_page_numbers_and_an_outline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    from pypdf import PdfReader

    from homolog.reports import load_run

    monkeypatch.setattr(pdf, "NUMBER_PAGES", 3)  # the numbers stamped a few pages at a time
    run = load_run(build_run(tmp_path / "run", demo_requirements() * 1))
    path = tmp_path / "small-parts.pdf"
    count = pdf.render_pdf(run, path, "fr", chunk_weight=8, jobs=jobs)  # a part every few requirements
    reader = PdfReader(path)
    assert count == len(reader.pages) >= 7
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


def test_parts_rendered_in_several_processes_give_the_same_report(tmp_path: Path) -> None:
    from pypdf import PdfReader

    from homolog.reports import load_run

    run = load_run(build_run(tmp_path / "run", demo_requirements() * 2))
    one, two = tmp_path / "one.pdf", tmp_path / "two.pdf"
    assert pdf.render_pdf(run, one, "en", chunk_weight=30, jobs=1) == pdf.render_pdf(
        run, two, "en", chunk_weight=30, jobs=2
    )
    assert _pdftotext(one) == _pdftotext(two)
    readers = [PdfReader(p) for p in (one, two)]
    outlines = [[(i.title, r.get_destination_page_number(i)) for i in _flatten(r.outline)] for r in readers]
    assert outlines[0] == outlines[1] and outlines[0]


def test_a_long_foot_leaves_the_page_number_its_place(tmp_path: Path) -> None:
    name = "MWM WMW " * 30  # wide letters: the foot, cut at 140 characters, takes two lines
    run = build_run(tmp_path / "run", demo_requirements(), target_name=name)
    path = render(run, ["pdf"])["pdf"]
    done = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True)
    pages = re.findall(r"<page [^>]*>(.*?)</page>", done.stdout, re.S)
    assert len(pages) >= 2
    for number, page in enumerate(pages, 1):
        words = [
            (float(x0), float(y0), float(x1), word)
            for x0, y0, x1, word in re.findall(
                r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', page
            )
        ]
        margin = [w for w in words if w[1] > 842 - 16 * 72 / 25.4]  # the bottom margin of an A4 page
        mark = max(margin, key=lambda w: w[0])
        assert mark[3] == str(number), (number, margin)
        foot = [w for w in margin if w is not mark]
        assert len({w[1] for w in foot}) == 2, foot
        assert all(w[2] + 10 < mark[0] for w in foot), (number, mark, foot)  # clear of each other


def test_a_rendering_process_that_dies_leaves_its_parts_to_this_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import os
    import signal

    from pypdf import PdfReader

    source = pdf._document("<p>part</p>", lang="fr", title="t", foot='"foot"')
    files = [str(tmp_path / f"part-{i}.pdf") for i in range(7)]
    with pdf._Renderer(3) as renderer:  # this process and two workers
        results = renderer.map((source, f) for f in files)
        got = [next(results)]  # the workers are up and have rendered a part
        assert len(renderer.workers) == 2
        for worker in renderer.workers:
            os.kill(worker.pid, signal.SIGKILL)
        got += list(results)
    assert got == [(f, 1) for f in files]
    assert all(len(PdfReader(f).pages) == 1 for f in files)
    assert "in this one" in caplog.text
    assert not renderer.workers


def test_a_part_the_worker_fails_on_fails_the_report_as_in_one_process(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = pdf._document("<p>part</p>", lang="fr", title="t", foot='"foot"')
    folder = tmp_path / "part.pdf"
    folder.mkdir()  # WeasyPrint cannot write the PDF there
    with pdf._Renderer(2) as renderer, pytest.raises(IsADirectoryError):
        list(renderer.map([(source, str(folder))]))
    assert "a rendering process stopped (exit status 1)" in caplog.text


def test_modules_in_the_current_folder_do_not_stand_in_for_the_workers_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "cwd"
    folder.mkdir()
    for name in ("json", "select", "weasyprint"):
        (folder / f"{name}.py").write_text("raise SystemExit('the current folder was imported from')\n")
    monkeypatch.chdir(folder)
    from homolog.reports import load_run

    run = load_run(build_run(tmp_path / "run", demo_requirements()))
    assert pdf.render_pdf(run, tmp_path / "r.pdf", "fr", chunk_weight=8, jobs=2) >= 7
    assert "rendering process" not in caplog.text


def test_a_script_without_a_main_guard_gets_its_pdf_from_the_workers(tmp_path: Path) -> None:
    # The workers are interpreters of their own, not copies of the caller's __main__.
    import sys

    script = tmp_path / "report.py"
    script.write_text(
        "import logging, sys\n"
        "logging.basicConfig()\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from pathlib import Path\n"
        "from synthrun import build_run, demo_requirements\n"
        "from homolog.reports import load_run, pdf\n"
        f"run = load_run(build_run(Path({str(tmp_path)!r}) / 'run', demo_requirements()))\n"
        f"print(pdf.render_pdf(run, Path({str(tmp_path)!r}) / 'r.pdf', 'fr', chunk_weight=8, jobs=2))\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 7
    assert "rendering process" not in done.stderr, done.stderr


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
