"""``homolog validate cda`` semantics (suites/documents/cli.py) on the ANS examples and copies."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from homolog.environment import setting_defaults
from homolog.hookspec import suite_plugins
from homolog.suites.documents.cli import main
from homolog.suites.documents.validator import (
    DocumentValidator,
    HeaderRules,
    element_at,
    parse_document,
)


def _run(*argv: str) -> tuple[int, str, str]:
    """The command as `homolog validate cda` runs it: settings from the environment, by domain."""
    settings: dict[str, dict[str, Any]] = {}
    for key, value in setting_defaults(suite_plugins().run_options()).items():
        domain, _, name = key.partition(".")
        settings.setdefault(domain, {})[name] = value
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), settings=settings, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def material(cda_root: Path, monkeypatch: pytest.MonkeyPatch, schematron_cache: Path) -> Path:
    """The ANS material through HOMOLOG_CDA_DIR, compiled schematrons in the test cache."""
    monkeypatch.setenv("HOMOLOG_CDA_DIR", str(cda_root))
    monkeypatch.setenv("HOMOLOG_CACHE_DIR", str(schematron_cache.parent / "cli-cache"))
    return cda_root


def _broken_ldl(cda_root: Path, tmp_path: Path) -> Path:
    """LDL-SES example with a wrong document code and no birthTime."""
    text = (cda_root / "ExemplesCDA" / "LDL-SES_2022.01.xml").read_text("utf-8")
    start = text.index("<birthTime")
    text = text[:start] + text[text.index(">", start) + 1 :]
    broken = tmp_path / "broken.xml"
    broken.write_text(text.replace('code="11490-0"', 'code="00000-0"', 1), encoding="utf-8")
    return broken


def test_valid_examples_exit_0(material: Path) -> None:
    examples = material / "ExemplesCDA"
    status, out, _ = _run(str(examples / "LDL-SES_2022.01.xml"), str(examples / "IPS-FR_2024.01.xml"))
    assert status == 0, out
    assert "LDL-SES_2022.01.xml: valid (LDL-SES, CI-SIS_LDL-SES_2022.01.sch" in out
    assert "IPS-FR_2024.01.xml: valid (IPS-FR, CI-SIS_IPS-FR_2024.01.sch" in out
    assert "header rules" in out


def test_invalid_document_lists_located_issues_and_exits_1(material: Path, tmp_path: Path) -> None:
    broken = _broken_ldl(material, tmp_path)
    status, out, _ = _run(str(broken))
    assert status == 1
    assert f"{broken}: invalid (LDL-SES" in out
    lines = out.splitlines()
    # schematron issue: its XPath and the line of the element it names (the root, line 40)
    assert any(line.startswith(f"  {broken}:40: error [Entete_LDL-SES]") and "11490-0" in line for line in lines)
    assert "      at /cda:ClinicalDocument[1]" in lines
    # the header rule (same code as documents.header.identity_traits), at the patient element
    header = [line for line in lines if "[birth-time] birthTime is missing" in line]
    assert header and header[0].startswith(f"  {broken}:93: error")


def test_json_is_svrl_like(material: Path, tmp_path: Path) -> None:
    broken = _broken_ldl(material, tmp_path)
    good = material / "ExemplesCDA" / "LDL-SES_2022.01.xml"
    status, out, _ = _run(str(good), str(broken), "--format", "json")
    assert status == 1
    doc = json.loads(out)
    assert doc["format"] == "homolog.validate-cda/1"
    assert doc["summary"] == {"valid": 1, "invalid": 1, "undecided": 0, "error": 0}
    first, second = doc["documents"]
    assert (first["status"], first["issues"]) == ("valid", [])
    assert second["volet"] == "LDL-SES" and second["schematron"] == "CI-SIS_LDL-SES_2022.01.sch"
    failed = [i for i in second["issues"] if i["test"] == "cda:code[@code='11490-0']"]
    assert failed == [
        {
            "severity": "error",
            "source": "schematron",
            "id": "Entete_LDL-SES",
            "location": "/cda:ClinicalDocument[1]",
            "line": 40,
            "test": "cda:code[@code='11490-0']",
            "text": failed[0]["text"],
        }
    ]
    assert "11490-0" in failed[0]["text"]
    assert {i["source"] for i in second["issues"]} == {"schematron", "header"}


def test_xsd_issues_are_located_like_schematron_ones(material: Path, tmp_path: Path) -> None:
    text = (material / "ExemplesCDA" / "LDL-SES_2022.01.xml").read_text("utf-8")
    bad = tmp_path / "xsd.xml"
    bad.write_text(text.replace("<recordTarget>", "<recordTarget><notInCda/>", 1), encoding="utf-8")
    status, out, _ = _run(str(bad), "--no-header")
    assert status == 1
    assert f"  {bad}:73: error [CDA-XSD] Element '{{urn:hl7-org:v3}}notInCda'" in out
    assert "      at /cda:ClinicalDocument[1]/cda:recordTarget[1]/cda:notInCda[1]" in out


def test_no_header_and_volet_options(material: Path, tmp_path: Path) -> None:
    # The ANS CS8 example passes its schematron but its synthetic INS has a wrong key.
    cs8 = material / "ExemplesCDA" / "CSE-CS8_2024.01.xml"
    status, out, _ = _run(str(cs8))
    assert status == 1 and "[ins-key]" in out
    status, out, _ = _run(str(cs8), "--no-header")
    assert status == 0, out
    # --volet names the schematron: an LDL-SES document checked as a VSM fails the VSM rules.
    ldl = material / "ExemplesCDA" / "LDL-SES_2022.01.xml"
    status, out, _ = _run(str(ldl), "--volet", "VSM_2023.01", "--no-header")
    assert status == 1 and "CI-SIS_VSM_2023.01.sch" in out
    status, out, _ = _run(str(ldl), "--volet", "LDL-SES")
    assert status == 0, out
    status, _, err = _run(str(ldl), "--volet", "NOPE")
    assert status == 2 and "no schematron for volet 'NOPE'" in err and "LDL-SES" in err


def test_could_not_validate_exits_2_unless_something_is_invalid(material: Path, tmp_path: Path) -> None:
    n1 = material / "ExemplesCDA" / "DOC_NON_STRUCTURE_CDA-R2-N1.xml"
    status, out, _ = _run(str(n1), str(tmp_path / "absent.xml"))
    assert status == 2
    assert "could not validate (no volet" in out and "volet this harness does not know" in out
    assert "absent.xml: could not validate: cannot read the file" in out
    not_xml = tmp_path / "not.xml"
    not_xml.write_text("<ClinicalDocument", encoding="utf-8")
    status, out, _ = _run(str(n1), str(not_xml))
    assert status == 1  # a file that is not XML is certainly not a valid CDA
    assert "not.xml: invalid" in out and "not well-formed" in out


def test_missing_material_names_the_fetch_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cda_root: Path
) -> None:
    monkeypatch.delenv("HOMOLOG_CDA_DIR", raising=False)
    monkeypatch.setenv("HOMOLOG_CACHE_DIR", str(tmp_path / "empty-cache"))
    status, out, err = _run(str(cda_root / "ExemplesCDA" / "LDL-SES_2022.01.xml"), "--format", "json")
    assert status == 2
    assert "homolog materials fetch cda" in err
    assert json.loads(out)["documents"][0]["status"] == "error"
    status, out, _ = _run(str(cda_root / "ExemplesCDA" / "LDL-SES_2022.01.xml"), "--material", str(cda_root))
    assert status == 0, out


def test_element_at_reads_saxon_and_header_locations(cda_root: Path) -> None:
    root = parse_document((cda_root / "ExemplesCDA" / "LDL-SES_2022.01.xml").read_bytes()).getroot()
    v3 = "Q{urn:hl7-org:v3}"
    patient = element_at(root, f"/{v3}ClinicalDocument[1]/{v3}recordTarget[1]/{v3}patientRole[1]/{v3}patient[1]")
    assert patient is not None and patient.tag == "{urn:hl7-org:v3}patient"
    assert element_at(root, "/ClinicalDocument/recordTarget/patientRole/patient") is patient
    assert element_at(root, "/cda:ClinicalDocument[1]/cda:recordTarget[1]/cda:patientRole[1]/cda:patient[1]") is patient
    # attribute and text steps name their owner; a missing element its nearest ancestor
    code = element_at(root, f"/{v3}ClinicalDocument[1]/{v3}code[1]/@code")
    assert code is not None and code.tag == "{urn:hl7-org:v3}code"
    assert element_at(root, "/ClinicalDocument/recordTarget/patientRole/patient/nothingHere") is patient
    assert element_at(root, "/Q{urn:other}ClinicalDocument[1]") is None
    assert element_at(root, None) is None and element_at(root, "relative/path") is None


def test_header_rules_in_validate_are_the_check_functions(validator: DocumentValidator, cda_root: Path) -> None:
    cs8 = (cda_root / "ExemplesCDA" / "CSE-CS8_2024.01.xml").read_bytes()
    without = validator.validate(cs8)
    assert without.valid and not without.header_rules
    with_rules = validator.validate(cs8, header=HeaderRules())
    assert with_rules.header_rules and not with_rules.valid
    assert [(i.source, i.rule_id) for i in with_rules.errors] == [("header", "ins-key")]
    assert with_rules.errors[0].line == 76
    relaxed = validator.validate(cs8, header=HeaderRules(qualified=None, require_birthplace=False))
    assert [i.rule_id for i in relaxed.errors] == ["ins-key"]


def test_documents_in_other_encodings_validate_the_same(validator: DocumentValidator, cda_root: Path) -> None:
    data = (cda_root / "ExemplesCDA" / "LDL-SES_2022.01.xml").read_bytes()
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    text = data.decode("utf-8")
    # Characters outside Latin-1 (a typographic apostrophe) become character references.
    latin1 = text.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"', 1).encode("latin-1", "xmlcharrefreplace")
    bom = b"\xef\xbb\xbf" + data
    broken = text.replace('code="11490-0"', 'code="00000-0"', 1)
    broken_latin1 = broken.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"', 1).encode(
        "latin-1", "xmlcharrefreplace"
    )
    assert "é" in text  # a character whose bytes differ between the two encodings
    for variant in (data, latin1, bom):
        report = validator.validate(variant)
        assert report.valid and report.fired_rules > 0, [str(i) for i in report.errors]
    for variant in (broken.encode("utf-8"), broken_latin1):
        errors = validator.validate(variant).errors
        assert [i.rule_id for i in errors] == ["Entete_LDL-SES"] and "11490-0" in errors[0].message
