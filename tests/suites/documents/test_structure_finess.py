"""documents.header.structure_finess: the rule on ANS examples, the check through the engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from homolog.suites.documents.header_rules import structure_finess_issues
from homolog.suites.documents.validator import parse_document
from homolog.testing import run_check

CHECK = "documents.header.structure_finess"
# The EHPAD's emergency liaison file (DLU-EHPAD volet), written by an EHPAD physician on
# behalf of the EHPAD: FINESS 750803447 as custodian and as the author's organisation.
DLU = "DLU-EHPAD-DLU_2022.01.xml"
FINESS_IDNATST = b'extension="1750803447"'
SIRET_IDNATST = b'extension="35550080344700012"'


def _messages(content: bytes, **kwargs: Any) -> list[str]:
    return [i.message for i in structure_finess_issues(parse_document(content).getroot(), **kwargs)]


@pytest.fixture(scope="module")
def dlu(shared_data: Path) -> bytes:
    return (shared_data / "cda" / "ExemplesCDA" / DLU).read_bytes()


def test_ehpad_document_names_its_finess_in_both_places(dlu: bytes) -> None:
    assert _messages(dlu, places=("custodian", "author"), expected_finess="750803447") == []


def test_a_siret_is_a_valid_idnatst_but_not_a_finess(dlu: bytes) -> None:
    assert FINESS_IDNATST in dlu
    messages = _messages(dlu.replace(FINESS_IDNATST, SIRET_IDNATST), places=("custodian", "author"))
    assert messages and all("is not 1 + a 9-digit FINESS" in m for m in messages)
    assert any(m.startswith("custodian:") for m in messages) and any(m.startswith("author:") for m in messages)


def test_wrong_check_digit_and_another_structure(dlu: bytes) -> None:
    other = dlu.replace(FINESS_IDNATST, b'extension="1750803448"')
    assert _messages(other, places=("custodian",)) == ["custodian: FINESS 750803448 fails the Luhn check"]
    assert _messages(other, places=("custodian",), check_luhn=False) == []
    assert _messages(dlu, places=("custodian",), expected_finess="750000002") == [
        "custodian: FINESS 750803447 is not the structure's FINESS 750000002"
    ]


def test_an_author_acting_for_no_organisation_fails_the_author_place(dlu: bytes) -> None:
    root = parse_document(dlu).getroot()
    ns = {"cda": "urn:hl7-org:v3"}
    for org in root.xpath("cda:author/cda:assignedAuthor/cda:representedOrganization", namespaces=ns):
        org.getparent().remove(org)
    messages = [i.message for i in structure_finess_issues(root, places=("custodian", "author"))]
    assert messages == ["author: no organisation id with root 1.2.250.1.71.4.2.2 (idNatSt)"]


def test_clean_reference_sut_passes(clean_sut: Any, tmp_path: Path) -> None:
    res = run_check(CHECK, clean_sut.target_path, tmp_path=tmp_path)
    assert res.verdict == "passed", res.message
    assert any(p.name.endswith(".finess.json") for p in res.evidence)


def _folder_target(clean_sut: Any, tmp_path: Path, folder: Path, *, finess: str | None) -> Path:
    doc = yaml.safe_load(clean_sut.target_path.read_text("utf-8"))
    doc["settings"]["documents"] = {"folder": str(folder)}
    doc["tls"]["ca_file"] = str(clean_sut.target_path.parent / doc["tls"]["ca_file"])
    doc["data"].pop("organization_finess", None)
    if finess:
        doc["data"]["organization_finess"] = finess
    path = tmp_path / "target.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_recorded_documents_pass_then_fail_through_the_engine(clean_sut: Any, dlu: bytes, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "dlu.xml").write_bytes(dlu)
    target = _folder_target(clean_sut, tmp_path, folder, finess="750803447")
    assert run_check(CHECK, target, tmp_path=tmp_path).verdict == "passed"

    (folder / "dlu-siret.xml").write_bytes(dlu.replace(FINESS_IDNATST, SIRET_IDNATST))
    res = run_check(CHECK, target, tmp_path=tmp_path)
    assert res.verdict == "failed"
    assert "dlu-siret.xml: custodian: idNatSt '35550080344700012' is not 1 + a 9-digit FINESS" in (res.message or "")
    assert "dlu.xml:" not in (res.message or "")


def test_without_the_structures_finess_the_form_is_checked_and_the_limit_said(
    clean_sut: Any, dlu: bytes, tmp_path: Path
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "dlu.xml").write_bytes(dlu)
    res = run_check(CHECK, _folder_target(clean_sut, tmp_path, folder, finess=None), tmp_path=tmp_path)
    assert res.verdict == "passed"
    assert [c["kind"] for c in res.caveats] == ["structure-finess-not-compared"]
