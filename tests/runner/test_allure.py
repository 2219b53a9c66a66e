"""Allure results of a run (`homolog run --alluredir DIR`): homolog's model as Allure labels.

The result files are read as Allure writes them (`*-result.json`); the Allure 3
command-line tool turns them into its HTML report in `test_allure_html.py`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from engine_support import requirement, write_referential

from homolog.api import run
from homolog.cli import main


def _referential(tmp_path: Path) -> Path:
    source = {"document": "Référentiel de test", "section": "4.2", "url": "https://example.org/ref#4.2"}
    return write_referential(
        tmp_path / "ref.yaml",
        [
            requirement("R.pass", "engine.http.status", source=source),
            requirement("R.fail", "engine.outcome.fail", level="preconisation", family="securite"),
            requirement("R.assert", "engine.outcome.assert"),
            requirement("R.error", "engine.outcome.error"),
            requirement("R.skip", "engine.outcome.skip"),
            requirement("R.404", "engine.http.status", with_={"path": "/missing", "status": 200}),
            requirement("R.manual", attestation={"evidence": "une capture"}),
        ],
        families={"securite": "Sécurité du système"},
    )


def _results(alluredir: Path) -> dict[str, dict[str, Any]]:
    """Allure test results by requirement label."""
    out = {}
    for path in alluredir.glob("*-result.json"):
        doc = json.loads(path.read_text("utf-8"))
        labels = {(lab["name"]): lab["value"] for lab in doc["labels"]}
        out[labels["requirement"]] = doc | {"label_map": labels}
    return out


@pytest.fixture
def allure_run(tmp_path: Path, target_file: Path) -> dict[str, dict[str, Any]]:
    alluredir = tmp_path / "allure-results"
    run(_referential(tmp_path), target_file, out=tmp_path / "run", extra=["--alluredir", str(alluredir)])
    return _results(alluredir)


def test_each_case_is_an_allure_test_labelled_with_referential_family_and_requirement(
    allure_run: dict[str, dict[str, Any]],
) -> None:
    assert set(allure_run) == {"R.pass", "R.fail", "R.assert", "R.error", "R.skip", "R.404"}  # cases only
    passed = allure_run["R.pass"]["label_map"]
    assert passed["epic"] == "Engine test referential (engine-test 1.0.0)"
    assert passed["feature"] == "tests"
    assert passed["story"] == "R.pass title of R.pass"
    assert passed["parentSuite"] == passed["epic"] and passed["suite"] == "tests"
    assert passed["subSuite"] == passed["story"]
    assert passed["severity"] == "critical"  # exigence
    assert passed["check"] == "engine.http.status"
    failed = allure_run["R.fail"]["label_map"]
    assert failed["severity"] == "minor"  # preconisation
    assert failed["feature"] == "Sécurité du système (securite)"


def test_status_follows_the_verdict_and_carries_its_message(allure_run: dict[str, dict[str, Any]]) -> None:
    status = {rid: doc["status"] for rid, doc in allure_run.items()}
    assert status == {
        "R.pass": "passed",
        "R.fail": "failed",  # CheckFailed is a failure, not a broken test
        "R.assert": "failed",
        "R.error": "broken",
        "R.skip": "skipped",
        "R.404": "failed",
    }
    assert allure_run["R.fail"]["statusDetails"]["message"] == "failed: the SUT said no"
    assert allure_run["R.error"]["statusDetails"]["message"] == "error: SUT unreachable"


def test_name_description_link_parameters_and_ids(allure_run: dict[str, dict[str, Any]]) -> None:
    doc = allure_run["R.404"]
    assert doc["name"] == "The server answers the path with the expected status."
    assert doc["description"].startswith("texte de R.404")
    params = {p["name"]: p["value"] for p in doc["parameters"]}
    assert params == {"check": "engine.http.status", "path": "/missing", "status": "200"}
    assert doc["fullName"] == "engine-test#R.404::engine.http.status::" + doc["fullName"].rsplit("::", 1)[1]
    assert doc["historyId"] != allure_run["R.pass"]["historyId"]
    links = allure_run["R.pass"]["links"]
    assert links == [{"type": "link", "url": "https://example.org/ref#4.2", "name": "Référentiel de test — 4.2"}]
    assert "package" not in doc["label_map"]


def test_evidence_files_are_attachments_with_their_content(
    allure_run: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    (attachment,) = allure_run["R.404"]["attachments"]
    assert attachment["type"] == "application/json"
    copied = json.loads((tmp_path / "allure-results" / attachment["source"]).read_text("utf-8"))
    assert copied["response"]["status"] == 404
    run_doc = json.loads((tmp_path / "run" / "run.json").read_text("utf-8"))
    (evidence,) = next(r for r in run_doc["requirements"] if r["id"] == "R.404")["checks"][0]["evidence"]
    assert attachment["name"] == evidence.removeprefix("evidence/")
    assert allure_run["R.fail"].get("attachments", []) == []


def test_homolog_run_alluredir_option(tmp_path: Path, target_file: Path) -> None:
    alluredir = tmp_path / "results"
    code = main(
        [
            "run",
            "-r",
            str(_referential(tmp_path)),
            "-t",
            str(target_file),
            "--out",
            str(tmp_path / "run"),
            "--report",
            "",
            "--alluredir",
            str(alluredir),
            "-k",
            "R.pass or R.fail",
        ]
    )
    assert code == 100  # R.fail failed (the rest was deselected)
    assert set(_results(alluredir)) == {"R.pass", "R.fail"}


def test_no_allure_results_without_alluredir(tmp_path: Path, target_file: Path) -> None:
    result = run(_referential(tmp_path), target_file, out=tmp_path / "run")
    assert result.document.summary.total_checks == 6
    assert not list(tmp_path.rglob("*-result.json"))
