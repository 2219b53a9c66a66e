"""End to end: a run written by the engine against the reference SUT is reported and sealed."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

from lxml import etree
from trestle.oscal.assessment_results import AssessmentResults

from homolog.integrity import verify
from homolog.reports import render
from homolog.reports.diff import diff_runs


def test_engine_run_renders_every_format_and_verifies(clean_sut: Any, repo_root: Path, tmp_path: Path) -> None:
    from homolog.testing import run_referential

    ref = repo_root / "referentials" / "ci-sis-documents" / "ci-sis-documents-1.0.0.yaml"
    run_dir = tmp_path / "run"
    doc = run_referential(ref, clean_sut.target_path, run_dir)
    out = render(run_dir, ["html", "junit", "csv", "json", "oscal"])  # PDF: test_report_pdf.py

    page = out["html"].read_text(encoding="utf-8")
    for req in doc["requirements"]:
        assert f'data-id="{req["id"].lower()}"' in page
        assert f'class="req v-{req["verdict"]}"' in page
    evidence = [e for r in doc["requirements"] for c in r["checks"] for e in c["evidence"]]
    assert evidence, "the engine recorded no evidence for this referential"
    assert f'href="../{evidence[0]}"' in page
    cases = etree.parse(str(out["junit"])).findall(".//testcase")
    assert len(cases) == sum(max(1, len(r["checks"])) for r in doc["requirements"])
    with out["csv"].open(encoding="utf-8-sig", newline="") as fh:
        assert {row["requirement"] for row in csv.DictReader(fh)} == {r["id"] for r in doc["requirements"]}
    oscal = json.loads(out["oscal"].read_text(encoding="utf-8"))
    AssessmentResults.model_validate(oscal["assessment-results"])  # OSCAL, as compliance-trestle reads it
    findings = oscal["assessment-results"]["results"][0]["findings"]
    assert len(findings) == sum(1 for r in doc["requirements"] if r["verdict"] != "not_applicable")

    # The engine sealed the run; reports/ is derived and not covered.
    result = verify(run_dir)
    assert result.ok, result.describe()
    target = run_dir / evidence[0]
    data = bytearray(target.read_bytes())
    data[-2] ^= 0x20
    target.write_bytes(bytes(data))
    result = verify(run_dir)
    assert not result.ok and result.changed == [evidence[0]]

    # The same run compared with itself has no regression.
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    assert not diff_runs(run_dir, copy).has_regression
