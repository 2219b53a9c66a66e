"""homolog.reports.render: formats, output folder, and errors a person can act on."""

from __future__ import annotations

from pathlib import Path

import pytest
from synthrun import SynthReq, build_run, demo_requirements

from homolog.reports import FORMATS, ReportError, render
from homolog.reports.base import Reporter
from homolog.reports.registry import REPORTERS


def test_registry_declares_every_format_with_a_reporter() -> None:
    assert set(REPORTERS) == set(FORMATS)
    for name, reporter in REPORTERS.items():
        assert isinstance(reporter, Reporter)
        assert reporter.name == name


def test_render_all_formats_into_run_reports_folder(tmp_path: Path) -> None:
    run = build_run(tmp_path / "run", demo_requirements())
    out = render(run, ["html", "pdf", "junit", "csv", "json"])
    assert set(out) == {"html", "pdf", "junit", "csv", "json"}
    for path in out.values():
        assert path.parent == run / "reports"
        assert path.stat().st_size > 0
    assert out["pdf"].read_bytes().startswith(b"%PDF-")
    assert out["json"].read_bytes() == (run / "run.json").read_bytes()


def test_render_to_another_folder_in_english(tmp_path: Path) -> None:
    run = build_run(tmp_path / "run", demo_requirements())
    out = render(run, ["html"], out_dir=tmp_path / "elsewhere", lang="en")
    page = out["html"].read_text(encoding="utf-8")
    assert out["html"].parent == tmp_path / "elsewhere"
    assert '<html lang="en">' in page
    assert "Certification report" in page and "Rapport d'homologation" not in page
    # Evidence links are relative to the report, pointing back into the run.
    assert 'href="../run/evidence/' in page


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda d: None, "not a directory"),
        (lambda d: d.mkdir(), "cannot read run.json"),
        (lambda d: (d.mkdir(), (d / "run.json").write_text("{nope")), "not valid JSON"),
        (
            lambda d: (d.mkdir(), (d / "run.json").write_text('{"format": "other/2"}')),
            "format is 'other/2'",
        ),
        (
            lambda d: (
                build_run(d, [SynthReq("X.1", "passed")]),
                (d / "run.json").write_text((d / "run.json").read_text().replace('"passed"', '"great"')),
            ),
            "requirements[0].verdict: 'great' is not one of",
        ),
    ],
    ids=["no-dir", "no-run-json", "bad-json", "wrong-format", "bad-verdict"],
)
def test_unusable_run_directory_raises_report_error(tmp_path: Path, setup: object, expected: str) -> None:
    run = tmp_path / "run"
    setup(run)  # type: ignore[operator]
    with pytest.raises(ReportError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        render(run, ["html"])


def test_unknown_format_or_language_is_refused(tmp_path: Path) -> None:
    run = build_run(tmp_path / "run", [SynthReq("A.1", "passed")])
    with pytest.raises(ReportError, match="unknown report format 'docx'"):
        render(run, ["html", "docx"])
    with pytest.raises(ReportError, match="unknown report language 'de'"):
        render(run, ["html"], lang="de")
    assert issubclass(ReportError, ValueError)


def test_every_verdict_has_a_label_and_a_colour() -> None:
    from homolog.reports.assets import _VERDICT_COLOURS
    from homolog.reports.labels import LANGS, verdict_label
    from homolog.reports.segur_proofs import _VERDICT_FR
    from homolog.verdicts import DESELECTED, Verdict

    words = {v.value for v in Verdict} | {DESELECTED}
    assert set(_VERDICT_COLOURS) == words
    assert set(_VERDICT_FR) == words
    for lang in LANGS:
        assert all(verdict_label(w, lang) != w for w in words), lang
