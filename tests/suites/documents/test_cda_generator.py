"""The reference SUT's CDA generator produces valid VSM / LDL-SES; its defects break them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from homolog.fixtures.refsut.cda import OBSOLETE_INS_C_OID, build_document
from homolog.suites.documents import header_rules as header
from homolog.suites.documents.material import AnsMaterial
from homolog.suites.documents.validator import DocumentValidator, parse_document

from .conftest import AUTHOR, CUSTODIAN, PATIENT_PROVISIONAL, PATIENT_QUALIFIED

NS = {"cda": "urn:hl7-org:v3"}
WHEN = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def _build(kind: str, patient: dict = PATIENT_QUALIFIED, **defects: bool) -> bytes:
    names = frozenset(k.replace("_", "-") for k, on in defects.items() if on)
    return build_document(kind, patient=patient, author=AUTHOR, custodian=CUSTODIAN, defects=names, effective_time=WHEN)


@pytest.mark.parametrize(
    ("kind", "schematron"), [("VSM", "CI-SIS_VSM_2023.01.sch"), ("LDL-SES", "CI-SIS_LDL-SES_2022.01.sch")]
)
def test_generated_document_is_valid(kind: str, schematron: str, validator: DocumentValidator) -> None:
    report = validator.validate(_build(kind))
    assert report.volet is not None and report.volet.name == kind
    assert report.schematron is not None and report.schematron.name == schematron
    assert report.errors == [], [str(i) for i in report.errors]
    assert report.fired_rules > 0


@pytest.mark.parametrize("kind", ["VSM", "LDL-SES"])
def test_cda_invalid_defect_breaks_xsd_and_schematron(kind: str, validator: DocumentValidator) -> None:
    report = validator.validate(_build(kind, cda_invalid=True))
    sources = {i.source for i in report.errors}
    assert sources == {"xsd", "schematron"}


def test_header_rules_hold_on_generated_documents() -> None:
    for kind in ("VSM", "LDL-SES"):
        root = parse_document(_build(kind)).getroot()
        assert (
            header.ins_issues(root, qualified=True, expected_ins="279035121518989", expected_oid="1.2.250.1.213.1.4.10")
            == []
        )
        assert header.identity_trait_issues(root) == []
        assert header.author_id_issues(root) == []
        assert header.custodian_id_issues(root) == []
        assert header.clinical_date_issues(root) == []


def test_wrong_ins_oid_defect_uses_obsolete_ins_c_and_is_caught() -> None:
    root = parse_document(_build("VSM", cda_wrong_ins_oid=True)).getroot()
    roots = root.xpath("cda:recordTarget/cda:patientRole/cda:id/@root", namespaces=NS)
    assert OBSOLETE_INS_C_OID in roots
    issues = header.ins_issues(root, qualified=True)
    assert {i.rule_id for i in issues} == {"ins-oid"}
    assert "obsolete INS-C" in issues[0].message


def test_unqualified_identity_gets_traits_only() -> None:
    root = parse_document(_build("LDL-SES", patient=PATIENT_PROVISIONAL)).getroot()
    roots = root.xpath("cda:recordTarget/cda:patientRole/cda:id/@root", namespaces=NS)
    assert not any(r.startswith(header.INS_OID_PREFIX) for r in roots)
    assert header.ins_issues(root, qualified=False) == []
    assert header.identity_trait_issues(root) == []
    # The same document claimed for a qualified patient misses its INS.
    assert [i.rule_id for i in header.ins_issues(root, qualified=True)] == ["ins-missing"]


def test_ins_sent_for_unqualified_identity_fails() -> None:
    root = parse_document(_build("VSM")).getroot()
    assert [i.rule_id for i in header.ins_issues(root, qualified=False)] == ["ins-unqualified"]


def _without(kind: str, xpath: str) -> etree._Element:
    root = parse_document(_build(kind)).getroot()
    for node in root.xpath(xpath, namespaces=NS):
        node.getparent().remove(node)
    return root


@pytest.mark.parametrize(
    ("xpath", "rule"),
    [
        ("//cda:patient/cda:name/cda:family[@qualifier='BR']", "birth-name"),
        ("//cda:patient/cda:name/cda:given", "birth-given-names"),
        ("//cda:patient/cda:birthTime", "birth-time"),
        ("//cda:patient/cda:birthplace", "birthplace"),
        ("//cda:patient/cda:administrativeGenderCode", "sex"),
    ],
)
def test_missing_identity_trait_is_reported(xpath: str, rule: str) -> None:
    issues = header.identity_trait_issues(_without("VSM", xpath))
    assert [i.rule_id for i in issues] == [rule]


def test_identifier_formats() -> None:
    root = parse_document(_build("VSM")).getroot()
    root.xpath("cda:author//cda:id", namespaces=NS)[0].set("extension", "12345")
    root.xpath("cda:custodian//cda:id", namespaces=NS)[0].set("extension", "9999")
    assert [i.rule_id for i in header.author_id_issues(root)] == ["author-idnatps"]
    assert [i.rule_id for i in header.custodian_id_issues(root)] == ["custodian-idnatst"]
    # Luhn on a synthetic FINESS (750000002) holds; a changed digit does not.
    assert header.luhn_ok("750000002")
    assert not header.luhn_ok("750000001")


def test_clinical_date_missing_is_reported() -> None:
    root = _without("LDL-SES", "cda:documentationOf/cda:serviceEvent/cda:effectiveTime")
    assert [i.rule_id for i in header.clinical_date_issues(root)] == ["clinical-date"]


def test_nir_key() -> None:
    assert header.nir_key_ok("279035121518989")
    assert not header.nir_key_ok("279035121518988")
    assert not header.nir_key_ok("27903512151898")


def _fullwidth(digits: str) -> str:
    return "".join(chr(ord(c) - ord("0") + ord("０")) if c.isdigit() else c for c in digits)


def test_fullwidth_digits_are_no_identifier() -> None:
    # int() reads them, and the key would match: a register never issues such a number
    assert not header.nir_key_ok(_fullwidth("279035121518989"))
    assert not header.luhn_ok(_fullwidth("750000002"))


def test_generated_documents_pass_the_cisis_content_model_profile(cda_root: Path, schematron_cache: Path) -> None:
    """Besides the volet: the general CI-SIS content-model and terminology schematrons."""
    profiled = DocumentValidator(
        AnsMaterial.from_root(cda_root),
        cache_dir=schematron_cache,
        profiles=[
            Path("profils/CI-SIS_ModelesDeContenusCDA.sch"),
            Path("profils/terminologies/schematron/terminologie.sch"),
        ],
    )
    for kind in ("VSM", "LDL-SES"):
        report = profiled.validate(_build(kind))
        assert report.errors == [], [str(i) for i in report.errors]
        assert sorted(report.profile_svrl) == ["CI-SIS_ModelesDeContenusCDA.sch", "terminologie.sch"]
    # An author specialty outside the CI-SIS value set J01 is caught by the profile only.
    odd = build_document(
        "VSM",
        patient=PATIENT_QUALIFIED,
        author={**AUTHOR, "profession_code": "G15_99"},
        custodian=CUSTODIAN,
        effective_time=WHEN,
    )
    report = profiled.validate(odd)
    assert {i.rule_id for i in report.errors} == {"JDV_assignedAuthorCode"}
