"""`homolog validate fhir` as a function: packages, short profile names, formats, exit codes,
and HL7's own validator test cases scored with their scorer."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from homolog.suites.fhir.cli import main

PATIENT = "Patient-FRCorePatientExample.json"


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def examples(fr_core_tgz: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fr-core")
    with tarfile.open(fr_core_tgz, "r:gz") as tar:
        tar.extractall(folder, filter="data")
    return folder


def test_valid_example_exit_0_and_missing_packages_named(examples: Path) -> None:
    code, out, err = _run(str(examples / "package" / "example" / PATIENT), "--profile", "fr-core-patient-ins")
    assert code == 0, out
    assert out.splitlines()[0].endswith(": valid")
    # FR Core's dependencies that are nowhere: named with what their absence weakens.
    assert "ans.fr.terminologies#1.7.0" in err and "not found" in err


def test_invalid_resource_exit_1_with_location_and_severity(examples: Path, tmp_path: Path) -> None:
    res = json.loads((examples / "package" / "example" / PATIENT).read_text("utf-8"))
    res["gender"] = "homme"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(res), "utf-8")
    code, out, _ = _run(str(bad), "--profile", "fr-core-patient-ins")
    assert code == 1
    assert any(line.split()[:2] == ["error", "Patient.gender"] for line in out.splitlines()[1:])
    code, out, _ = _run(str(bad), "--format", "json")
    oo = json.loads(out)
    assert code == 1 and oo["resourceType"] == "OperationOutcome"
    assert {"severity": "error", "expression": ["Patient.gender"]}.items() <= next(
        i for i in oo["issue"] if i["expression"] == ["Patient.gender"]
    ).items()
    assert any(i["severity"] == "warning" and "hl7.terminology.r4" in i["diagnostics"] for i in oo["issue"])


def test_cannot_validate_exit_2(examples: Path, tmp_path: Path) -> None:
    good = str(examples / "package" / "example" / PATIENT)
    code, _, err = _run(good, "--profile", "no-such-profile")
    assert code == 2 and "no-such-profile is not in the loaded FHIR packages" in err
    code, _, err = _run(good, "--package", "hl7.fhir.fr.core#9.9.9")
    assert code == 2 and "hl7.fhir.fr.core#9.9.9 not found" in err
    code, _, _ = _run(str(tmp_path / "missing.json"))
    assert code == 2
    notjson = tmp_path / "x.json"
    notjson.write_text("{not json", "utf-8")
    code, out, _ = _run(str(notjson), "--format", "json")
    assert code == 1 and json.loads(out)["issue"][0]["severity"] == "fatal"


def test_packages_from_a_folder_a_tgz_and_the_cache(
    examples: Path, fr_core_tgz: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = str(examples / "package" / "example" / PATIENT)
    assert _run(good, "--package", str(examples), "--profile", "fr-core-patient-ins")[0] == 0  # package/ layout
    assert _run(good, "--package", str(examples / "package"), "--profile", "fr-core-patient-ins")[0] == 0
    assert _run(good, "--package", str(fr_core_tgz), "--profile", "fr-core-patient-ins")[0] == 0
    folder = tmp_path / "pkgs"
    folder.mkdir()
    shutil.copy(fr_core_tgz, folder)
    assert _run(good, "--package", str(folder), "--profile", "FRCorePatientINSProfile")[0] == 0  # by name
    cache = tmp_path / ".fhir" / "packages" / "hl7.fhir.fr.core#2.2.0"
    shutil.copytree(examples, cache)
    monkeypatch.setenv("HOME", str(tmp_path))
    code, _, _ = _run(good, "--package", "hl7.fhir.fr.core#2.2.0", "--profile", "fr-core-patient-ins")
    assert code == 0


def test_runs_as_a_module(examples: Path) -> None:
    good = str(examples / "package" / "example" / PATIENT)
    proc = subprocess.run(
        [sys.executable, "-m", "homolog.suites.fhir.validate", "--format", "json", good],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["resourceType"] == "OperationOutcome"


@pytest.mark.slow
def test_hl7_validator_test_cases_precision_1_recall_1(shared_data: Path, tmp_path: Path) -> None:
    """HL7's base-R4 validator cases, scored by their own scorer (`score_peer.py`)."""
    cases = shared_data / "fhir-test-cases"
    scores: dict[str, Any] = {}
    for label, extra in (("all", []), ("json", ["--exclude-tag", "malformed-json"])):
        out = tmp_path / f"{label}.json"
        proc = subprocess.run(
            [
                sys.executable,
                str(cases / "score_peer.py"),
                "--callable",
                "homolog.suites.fhir.cli:validate_file_text",
                "--json",
                str(out),
                *extra,
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        scores[label] = json.loads(out.read_text("utf-8"))["metrics"]
    for label, m in scores.items():
        assert m["precision"] == 1.0, (label, m)
        assert m["recall"] == 1.0, (label, m)


def test_jobs_give_what_one_process_gives_in_the_order_of_the_files(examples: Path, tmp_path: Path) -> None:
    folder = examples / "package" / "example"
    res = json.loads((folder / PATIENT).read_text("utf-8"))
    res["gender"] = "homme"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(res), "utf-8")
    files = [*map(str, sorted(folder.glob("*.json"))[:12]), str(bad), str(tmp_path / "missing.json")]
    for options in (["--format", "json"], ["--profile", "fr-core-patient-ins"], []):
        one = _run(*files, *options)
        assert _run(*files, *options, "--jobs", "2") == one
    code, out, _ = one
    assert code == 2  # the missing file; the bad one is invalid
    assert [line.split(": ")[0] for line in out.splitlines() if not line.startswith(" ")] == files


def test_a_file_whose_process_died_could_not_be_validated(tmp_path: Path) -> None:
    from homolog.parallel import PROCESS_DIED
    from homolog.suites.fhir.cli import _not_validated, _not_validated_at_all

    _, issues = _not_validated(tmp_path / "a.json", PROCESS_DIED)
    assert _not_validated_at_all(issues)  # exit 2, not 1
    assert issues[0].to_fhir()["code"] == "exception" and PROCESS_DIED in issues[0].message
