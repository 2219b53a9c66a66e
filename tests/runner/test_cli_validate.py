"""`homolog validate fhir|cda FILE…`: the suites' validators through the engine's command.

Exit codes of the command: 0 every file valid, 1 some file invalid, 2 some file could not
be validated (or a usage mistake). The files are the published examples beside the
project: FR Core 2.2.0's examples and the ANS TestContenuCDA examples.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from homolog.cli import main as homolog


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = homolog(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


# --------------------------------------------------------------------------- FHIR


@pytest.fixture(scope="module")
def fr_core_examples(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The example resources FR Core 2.2.0 publishes in its package."""
    folder = tmp_path_factory.mktemp("fr-core")
    with tarfile.open(shared_data / "fhir" / "hl7.fhir.fr.core-2.2.0.tgz") as tar:
        members = [m for m in tar.getmembers() if m.name.startswith("package/example/") and m.isfile()]
        tar.extractall(folder, members=members, filter="data")
    files = sorted((folder / "package" / "example").glob("*.json"))
    assert len(files) >= 30, "the FR Core package lost its examples"
    return files


@pytest.fixture
def no_fhir_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A home without ~/.fhir/packages and no HOMOLOG_FHIR_PACKAGES: the shipped packages only."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("HOMOLOG_FHIR_PACKAGES", raising=False)


def test_fr_core_examples_are_valid(
    fr_core_examples: list[Path], no_fhir_cache: None, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _run(capsys, "validate", "fhir", *map(str, fr_core_examples))
    assert status == 0, out
    assert out.count(": valid\n") == len(fr_core_examples)
    # FR Core's dependencies not shipped are named, with what they weaken and the command.
    assert "hl7.terminology.r4#7.1.0 (needed by hl7.fhir.fr.core#2.2.0) not found" in err
    assert "`homolog materials fetch fhir` installs it" in err


def test_json_output_is_an_operation_outcome_per_file(
    fr_core_examples: list[Path], no_fhir_cache: None, capsys: pytest.CaptureFixture[str]
) -> None:
    patient = next(f for f in fr_core_examples if f.name.startswith("Patient-"))
    status, out, _ = _run(capsys, "validate", "fhir", str(patient), "--format", "json")
    assert status == 0
    outcome = json.loads(out)
    assert outcome["resourceType"] == "OperationOutcome"
    assert all(i["severity"] in ("warning", "information") for i in outcome["issue"])
    assert any("not found" in i["diagnostics"] for i in outcome["issue"])  # the missing packages
    status, out, _ = _run(capsys, "validate", "fhir", str(patient), str(fr_core_examples[0]), "--format", "json")
    assert status == 0 and [o["resourceType"] for o in json.loads(out)] == ["OperationOutcome"] * 2


def test_an_invalid_resource_exits_1_with_located_issues(
    fr_core_examples: list[Path], no_fhir_cache: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    patient = json.loads(next(f for f in fr_core_examples if f.name.startswith("Patient-")).read_text("utf-8"))
    patient["gender"] = "yes"
    broken = tmp_path / "broken-patient.json"
    broken.write_text(json.dumps(patient), encoding="utf-8")
    status, out, _ = _run(capsys, "validate", "fhir", str(broken), str(fr_core_examples[0]))
    assert status == 1
    assert f"{broken}: " in out and "error(s)" in out
    assert "Patient.gender" in out
    status, out, _ = _run(capsys, "validate", "fhir", str(broken), "--format", "json")
    assert status == 1
    errors = [i for i in json.loads(out)["issue"] if i["severity"] in ("error", "fatal")]
    assert errors and any("Patient.gender" in " ".join(i.get("expression", [])) for i in errors)


def test_what_cannot_be_validated_exits_2(
    fr_core_examples: list[Path], no_fhir_cache: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = _run(capsys, "validate", "fhir", str(tmp_path / "absent.json"))
    assert status == 2 and "cannot be read" in out
    status, _, err = _run(capsys, "validate", "fhir", str(fr_core_examples[0]), "--profile", "no-such-profile")
    assert status == 2 and "no-such-profile" in err
    # a package that is nowhere: the message names where it looked and the fetch command
    status, _, err = _run(capsys, "validate", "fhir", str(fr_core_examples[0]), "--package", "acme.ig#1.0.0")
    assert status == 2
    assert "acme.ig#1.0.0 not found" in err and "`homolog materials fetch fhir`" in err


def test_the_front_end_reads_homolog_fhir_packages(
    fr_core_examples: list[Path],
    no_fhir_cache: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "my-packages"
    folder.mkdir()
    monkeypatch.setenv("HOMOLOG_FHIR_PACKAGES", str(folder))
    status, _, err = _run(capsys, "validate", "fhir", str(fr_core_examples[0]), "--package", "acme.ig#1.0.0")
    assert status == 2 and str(folder) in err  # searched first


def test_usage_mistakes_exit_2_and_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(capsys, "validate", "xml", "file.xml")
    assert status == 2 and "unknown kind 'xml'" in err and "cda, fhir" in err
    assert _run(capsys, "validate")[0] == 2
    assert _run(capsys, "validate", "fhir")[0] == 2  # no file
    assert _run(capsys, "validate", "fhir", "x.json", "--format", "yaml")[0] == 2
    status, out, _ = _run(capsys, "validate", "fhir", "--help")
    assert status == 0 and "--profile" in out and "--format" in out
    status, out, _ = _run(capsys, "validate", "--help")
    text = " ".join(out.split())
    assert status == 0 and "cda: CDA documents" in text and "fhir: FHIR R4" in text and "0 every file valid" in text


# --------------------------------------------------------------------------- CDA


@pytest.fixture(scope="module")
def homolog_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """homolog's cache for these tests (compiled schematrons kept between them)."""
    return tmp_path_factory.mktemp("homolog-cache")


@pytest.fixture
def cda_env(shared_data: Path, homolog_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The ANS material through HOMOLOG_CDA_DIR, homolog's cache through HOMOLOG_CACHE_DIR."""
    monkeypatch.setenv("HOMOLOG_CDA_DIR", str(shared_data / "cda"))
    monkeypatch.setenv("HOMOLOG_CACHE_DIR", str(homolog_cache))
    return shared_data / "cda"


def test_ans_examples_are_valid(
    cda_env: Path, homolog_cache: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from homolog.suites.documents import schematron

    # as in a fresh process: schematrons another test compiled in this one are not reused
    monkeypatch.setattr(schematron, "_LOADED", {})
    examples = cda_env / "ExemplesCDA"
    ldl, ips = examples / "LDL-SES_2022.01.xml", examples / "IPS-FR_2024.01.xml"
    status, out, _ = _run(capsys, "validate", "cda", str(ldl), str(ips))
    assert status == 0, out
    assert "LDL-SES_2022.01.xml: valid (LDL-SES, CI-SIS_LDL-SES_2022.01.sch" in out
    assert "IPS-FR_2024.01.xml: valid (IPS-FR, CI-SIS_IPS-FR_2024.01.sch" in out
    # Compiled schematrons went where HOMOLOG_CACHE_DIR says (as `homolog run --cache-dir`).
    assert any((homolog_cache / "schematron").iterdir())
    status, out, _ = _run(capsys, "validate", "cda", str(examples / "LDL-SES_2022.01.xml"), "--format", "json")
    doc = json.loads(out)
    assert status == 0 and doc["format"] == "homolog.validate-cda/1"
    assert doc["summary"] == {"valid": 1, "invalid": 0, "undecided": 0, "error": 0}
    assert doc["documents"][0]["volet"] == "LDL-SES" and doc["documents"][0]["header_rules"] is True


def test_an_invalid_cda_exits_1_and_missing_material_exits_2(
    cda_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (cda_env / "ExemplesCDA" / "LDL-SES_2022.01.xml").read_text("utf-8")
    broken = tmp_path / "broken.xml"
    broken.write_text(text.replace('code="11490-0"', 'code="00000-0"', 1), encoding="utf-8")
    status, out, _ = _run(capsys, "validate", "cda", str(broken))
    assert status == 1
    assert f"{broken}: invalid (LDL-SES" in out and "Entete_LDL-SES" in out
    status, out, _ = _run(capsys, "validate", "cda", str(broken), "--format", "json")
    issues = json.loads(out)["documents"][0]["issues"]
    assert status == 1 and any(i["id"] == "Entete_LDL-SES" and i["line"] for i in issues)
    monkeypatch.delenv("HOMOLOG_CDA_DIR")
    monkeypatch.setenv("HOMOLOG_CACHE_DIR", str(tmp_path / "empty-cache"))
    status, _, err = _run(capsys, "validate", "cda", str(broken))
    assert status == 2 and "homolog materials fetch cda" in err


@pytest.mark.slow
def test_every_ans_example(cda_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every example of TestContenuCDA, XSD and volet schematron (header rules left out: the
    examples carry illustrative INS and identifiers, not valid ones)."""
    examples = sorted((cda_env / "ExemplesCDA").glob("*.xml"))
    status, out, _ = _run(capsys, "validate", "cda", "--no-header", "--format", "json", *map(str, examples))
    doc = json.loads(out)
    assert sum(doc["summary"].values()) == len(examples) == len(doc["documents"])
    assert doc["summary"]["valid"] >= 80
    # A few examples are not valid (the ANS publishes some older ones as they were):
    # exit 1; each not-valid file says why.
    assert status == 1
    for d in doc["documents"]:
        assert d["status"] == "valid" or d["issues"] or d["reason"], d["file"]
