"""Caveats: what limited a result though its verdict stands, from the check to run.json.

A check records one with `evidence.caveat(...)`; the plugin streams it with the result,
`assemble_run` types it (passed results included), the run format carries it
(`checks[].caveats`), and the CLI summary shows it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engine_support import requirement, write_referential

from homolog.cli import main as homolog
from homolog.evidence import Evidence, Sanitizer
from homolog.runfile import Caveat, parse_run, read_run, validate_run
from homolog.testing import run_referential

CAVEAT = {
    "kind": "missing-fhir-packages",
    "text": "validated without acme.ig#1.0.0 (not found)",
    "packages": ["acme.ig#1.0.0"],
    "weakens": "acme bindings",
}


def test_evidence_keeps_each_caveat_once_and_sanitised(tmp_path: Path) -> None:
    ev = Evidence(tmp_path, "case", Sanitizer(["s3cr3t-value"]))
    for _ in range(2):
        ev.caveat("k", "seen s3cr3t-value", packages=["a#1"], weakens="w s3cr3t-value")
    assert ev.caveats == [{"kind": "k", "text": "seen «redacted»", "packages": ["a#1"], "weakens": "w «redacted»"}]
    with pytest.raises(ValueError, match="kind and a text"):
        ev.caveat("", "text")


def _caveat_referential(tmp_path: Path) -> Path:
    return write_referential(
        tmp_path / "ref.yaml",
        [requirement("R.caveat", "engine.outcome.caveat"), requirement("R.plain", "engine.http.status")],
    )


def test_a_passed_result_carries_its_caveat_into_run_json(tmp_path: Path, target_file: Path) -> None:
    doc = run_referential(_caveat_referential(tmp_path), target_file, tmp_path / "run")
    assert validate_run(doc) == []
    by_id = {r["id"]: r for r in doc["requirements"]}
    check = by_id["R.caveat"]["checks"][0]
    assert check["verdict"] == "passed" and by_id["R.caveat"]["verdict"] == "passed"
    assert check["caveats"] == [CAVEAT]  # recorded twice by the check, kept once
    assert by_id["R.plain"]["checks"][0]["caveats"] == []
    assert doc["status"] == "compliant"  # a caveat qualifies a verdict, it does not change it
    typed = read_run(tmp_path / "run")
    assert typed.caveats == {
        Caveat("missing-fhir-packages", CAVEAT["text"], ("acme.ig#1.0.0",), "acme bindings"): ("R.caveat",)
    }
    assert typed.requirement("R.caveat").caveats == (Caveat.from_json(CAVEAT),)


def test_a_run_document_without_caveats_still_reads(tmp_path: Path, target_file: Path) -> None:
    doc = run_referential(_caveat_referential(tmp_path), target_file, tmp_path / "run")
    for req in doc["requirements"]:
        for check in req["checks"]:
            del check["caveats"]  # as written before caveats were recorded
    typed = parse_run(json.loads(json.dumps(doc)))
    assert typed.caveats == {} and typed.requirement("R.caveat").caveats == ()
    bad = json.loads(json.dumps(doc))
    bad["requirements"][0]["checks"][0]["caveats"] = [{"kind": "k"}]
    assert any("caveats" in p and "'text' is a required property" in p for p in validate_run(bad))


def test_the_run_summary_shows_the_caveats(
    tmp_path: Path, target_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref, out = _caveat_referential(tmp_path), tmp_path / "run"
    status = homolog(["run", "-r", str(ref), "-t", str(target_file), "--out", str(out), "--report", ""])
    assert status == 0
    assert f"CAVEAT  {CAVEAT['text']} (R.caveat)" in capsys.readouterr().out
