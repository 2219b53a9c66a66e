"""`homolog coverage`: per referential and family, automated / attested / not tested, from the files alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engine_support import requirement, write_referential

from homolog.cli import main
from homolog.referential import find_referentials

REASON = "numbering taken from a draft; not found in the published edition"


def _small(tmp_path: Path) -> Path:
    """Two families: 'acces' (2 automated, one of them to confirm, 1 attested), 'docs' (1 automated, 1 not tested)."""
    return write_referential(
        tmp_path / "small.yaml",
        [
            requirement("ACC.1", "engine.http.status", family="acces"),
            requirement(
                "ACC.2",
                family="acces",
                checks=[{"check": "engine.http.status"}, {"check": "engine.outcome.fail"}],
                source={"document": "engine tests", "to_confirm": REASON},
            ),
            requirement("ACC.3", family="acces", attestation={"evidence": "the vendor's procedure"}),
            requirement("DOC.1", "engine.outcome.fail", family="docs"),
            requirement("DOC.2", family="docs", not_tested="needs a printer"),
        ],
        id="small",
        families={"acces": {"fr": "Accès", "en": "Access"}, "docs": "Documents"},
    )


def _coverage(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["coverage", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_text_counts_each_family_and_lists_the_ids_to_confirm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _coverage(capsys, str(_small(tmp_path)))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("Counts the requirements as written")  # applicability is a run's business
    rows = {line.split()[0]: line.split()[1:] for line in lines if line.split()[:1] in (["acces"], ["docs"], ["total"])}
    assert rows["acces"] == ["2", "1", "0", "3", "67", "%"]
    assert rows["docs"] == ["1", "0", "1", "2", "50", "%"]
    assert rows["total"] == ["3", "1", "1", "5", "60", "%"]
    assert "ids to confirm against the published text: 1" in lines
    assert f"  ACC.2  title of ACC.2: {REASON}" in lines
    assert "engine.http.status" not in out  # checks only with --checks: one screen per referential


def test_checks_option_lists_the_checks_of_each_family(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _coverage(capsys, str(_small(tmp_path)), "--checks")
    assert code == 0
    section = out[out.index("checks by family") :].splitlines()
    assert section[1:] == [
        "  acces:",
        "    engine.http.status  2",
        "    engine.outcome.fail  1",
        "  docs:",
        "    engine.outcome.fail  1",
    ]


def test_json_for_tooling(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _coverage(capsys, str(_small(tmp_path)), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["format"] == "homolog.coverage/1"
    assert "as written" in doc["counted"]
    (ref,) = doc["referentials"]
    assert ref["ref"] == "small@1.0.0"
    assert ref["totals"] | {"checks": None} == {
        "family": "total",
        "title": "",
        "automated": 3,
        "manual": 1,
        "not_tested": 1,
        "total": 5,
        "automated_share": 0.6,
        "checks": None,
    }
    acces, docs = ref["families"]
    assert (acces["family"], acces["title"], docs["title"]) == ("acces", "Access", "Documents")
    assert acces["checks"] == [
        {"check": "engine.http.status", "requirements": 2},
        {"check": "engine.outcome.fail", "requirements": 1},
    ]
    assert (docs["automated"], docs["manual"], docs["not_tested"], docs["automated_share"]) == (1, 0, 1, 0.5)
    assert ref["to_confirm"] == [{"id": "ACC.2", "title": "title of ACC.2", "reason": REASON}]


def test_markdown_for_notes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _coverage(capsys, str(_small(tmp_path)), "--format", "markdown", "--checks")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Counts the requirements as written")
    assert "### small@1.0.0 — Engine test referential" in lines
    assert "| family | automated | attested | not tested | total | automated share |" in lines
    assert "| Access (acces) | 2 | 1 | 0 | 3 | 67 % |" in lines
    assert "| Documents (docs) | 1 | 0 | 1 | 2 | 50 % |" in lines
    assert "| **total** | 3 | 1 | 1 | 5 | 60 % |" in lines
    assert f"- `ACC.2` title of ACC.2: {REASON}" in lines
    assert "- acces: `engine.http.status` (2), `engine.outcome.fail` (1)" in lines


def test_markdown_cells_cannot_break_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ref = write_referential(
        tmp_path / "pipes.yaml",
        [requirement("P.1", "engine.outcome.fail", family="a|b")],
        id="pipes",
        title="with | a pipe\nand a newline",
    )
    code, out, _ = _coverage(capsys, str(ref), "--format", "markdown")
    assert code == 0
    assert "### pipes@1.0.0 — with \\| a pipe and a newline" in out
    assert "| a\\|b | 1 | 0 | 0 | 1 | 100 % |" in out.splitlines()


def test_included_requirements_are_counted_where_they_come_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _small(tmp_path)
    parent = write_referential(
        tmp_path / "parent.yaml",
        [requirement("OWN.1", family="own", attestation={"evidence": "a statement"})],
        id="parent",
        include=[{"referential": "small", "select": ["ACC.*"]}],
    )
    code, out, _ = _coverage(capsys, str(parent), "--format", "json")
    assert code == 0
    (ref,) = json.loads(out)["referentials"]
    assert [(f["family"], f["automated"], f["manual"]) for f in ref["families"]] == [("acces", 2, 1), ("own", 0, 1)]
    assert [t["id"] for t in ref["to_confirm"]] == ["ACC.2"]


def test_no_ref_covers_the_latest_version_of_every_shipped_referential(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _coverage(capsys, "--format", "json")
    assert (code, err) == (0, "")
    shipped = {i: f"{i}@{v}" for i, v, _ in find_referentials()}  # sorted by version: the last one stays
    assert [r["ref"] for r in json.loads(out)["referentials"]] == list(shipped.values())
    code, out, _ = _coverage(capsys)
    assert code == 0
    summary = out[out.rindex("referential ") :].splitlines()  # one line per programme, last
    assert [line.split()[0] for line in summary[1:]] == list(shipped.values())


def test_a_bad_referential_is_named_with_file_line_and_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "format: homolog.referential/1\nid: bad\nversion: 1.0.0\ntitle: Bad\npublisher: homolog\n"
        "date: '2026-11-30'\nrequirements:\n  - id: B.1\n    title: t\n    text: x\n    level: exigence\n"
        "    source: {document: d}\n    chekcs: [{check: engine.outcome.fail}]\n",
        encoding="utf-8",
    )
    good = _small(tmp_path)
    code, out, err = _coverage(capsys, str(bad), str(good))
    assert code == 1
    assert f"{bad}:13" in err and "chekcs" in err  # the loader's own located problem
    assert "Traceback" not in err
    assert "small@1.0.0" in out  # the good one is still counted
    code, out, err = _coverage(capsys, "no-such-referential")
    assert (code, out) == (1, "")
    assert "'no-such-referential' not found" in err


@pytest.mark.slow
def test_a_run_carries_to_confirm_into_run_json_and_both_reports(
    tmp_path: Path, target_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pypdf import PdfReader

    from homolog.runfile import read_run

    ref = write_referential(
        tmp_path / "confirm.yaml",
        [
            requirement("C.1", "engine.outcome.fail", source={"document": "DSR", "to_confirm": REASON}),
            requirement("C.2", attestation={"evidence": "a statement"}),
        ],
        id="confirm",
    )
    out = tmp_path / "run"
    argv = ["run", "-r", str(ref), "-t", str(target_file), "--out", str(out), "--report", "html,pdf", "--lang", "en"]
    assert main(argv) == 100
    doc = read_run(out)  # checked against the published run schema
    assert doc.requirement("C.1").source["to_confirm"] == REASON
    assert "to_confirm" not in doc.requirement("C.2").source  # absent when unset
    html = (out / "reports" / "report.html").read_text(encoding="utf-8")
    assert html.count(REASON) == 1
    assert "Ids to confirm against the published text (1)" in html
    pdf = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(out / "reports" / "report.pdf").pages)
    assert "Ids to confirm against the published text (1)" in pdf and "C.1" in pdf
    capsys.readouterr()
    assert main(["coverage", str(ref)]) == 0
    assert f"  C.1  title of C.1: {REASON}" in capsys.readouterr().out
