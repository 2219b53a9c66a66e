"""JUnit XML and CSV coverage matrix built from a run."""

from __future__ import annotations

import csv
from pathlib import Path

from lxml import etree
from synthrun import SynthCheck, SynthReq, build_run, demo_requirements

from homolog.reports import render


def test_junit_one_testcase_per_check_requirement_as_classname(tmp_path: Path) -> None:
    run = build_run(tmp_path / "run", demo_requirements())
    path = render(run, ["junit"])["junit"]
    root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    cases = root.findall(".//testcase")
    # 6 checks + 3 requirements without checks (attested, not applicable, manual).
    assert len(cases) == 9
    by_name = {(c.get("classname"), c.get("name")): c for c in cases}
    lockout = by_name[("SSI/IAM.92", "security.auth.lockout[max_failures=10]")]
    assert lockout.find("failure").get("message") == "le compte n'est pas verrouillé après 10 échecs"
    assert "evidence/" in lockout.findtext("system-out")
    assert by_name[("DMP/HISTO.03", "documents.cda.schematron")].find("error") is not None
    passed = by_name[("MSS/CONF.01", "security.tls.minimum_version")]
    assert [child.tag for child in passed] == ["system-out"]  # success: no outcome element
    waived = by_name[("SSI/IE.39", "security.session.timeout")].find("skipped")
    assert waived is not None and "waived: Correctif livré en version 1.1" in waived.get("message")
    assert by_name[("PSC.08", "requirement (not-tested)")].find("skipped") is not None
    assert by_name[("INS/va1.05", "requirement (manual)")].find("*") is None  # attested
    assert root.getroot().get("tests") == "9"
    assert root.getroot().get("failures") == "1"
    assert root.getroot().get("errors") == "2"
    assert root.getroot().get("skipped") == "4"


def test_junit_survives_control_characters(tmp_path: Path) -> None:
    run = build_run(
        tmp_path / "run",
        [SynthReq("A.1", "failed", checks=[SynthCheck("x.y", "failed", "bad\x00\x1bbyte\ud800")])],
    )
    path = render(run, ["junit"])["junit"]
    root = etree.parse(str(path))
    assert root.find(".//failure").get("message") == "bad\ufffd\ufffdbyte\ufffd"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_csv_matrix_and_coverage_counts(tmp_path: Path) -> None:
    run = build_run(tmp_path / "run", demo_requirements())
    path = render(run, ["csv"])["csv"]
    rows = _rows(path)
    assert len(rows) == 9
    row = next(r for r in rows if r["check"] == "security.auth.lockout")
    assert row["requirement"] == "SSI/IAM.92" and row["check_verdict"] == "failed"
    assert row["mode"] == "automated" and row["params"] == '{"max_failures": 10}'
    assert row["evidence_count"] == "2" and row["verdict_label"] == "Non conforme"
    modes = {r["requirement"]: r["mode"] for r in rows}
    assert modes["INS/va1.05"] == "manual" and modes["PSC.08"] == "not-tested"
    summary = {r["origin"]: r for r in _rows(path.with_name("coverage-summary.csv"))}
    assert summary["ssi@1.0.0"]["requirements"] == "4"
    assert summary["ssi@1.0.0"]["automated"] == "3" and summary["ssi@1.0.0"]["manual"] == "1"
    assert summary["TOTAL"]["requirements"] == "8"
    assert summary["TOTAL"]["not_tested"] == "1"


def test_csv_cells_never_become_formulas(tmp_path: Path) -> None:
    run = build_run(
        tmp_path / "run",
        [SynthReq("A.1", "failed", checks=[SynthCheck("x.y", "failed", '=HYPERLINK("http://e")')])],
    )
    row = _rows(render(run, ["csv"])["csv"])[0]
    assert row["message"] == '\'=HYPERLINK("http://e")'
