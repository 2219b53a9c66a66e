"""ANS TestContenuCDA examples validate as the ANS material says; mutated copies fail.

Examples the ANS material itself flags (recorded here, asserted below):

- ``BIO-CR-BIO_2021.01_Auto-Presentable*.xml``: the root is an XSLT stylesheet embedding
  the CDA (a "self-presenting" file), not a ``ClinicalDocument``: refused as a document.
- ``BIO-CR-BIO_2021.01_CDA-R2-Niveau-1.xml``: an unstructured level-1 CDA (templateId
  1.3.6.1.4.1.19376.1.2.20) whose file name says CR-BIO; it fails the CR-BIO header rule
  that requires templateId 1.3.6.1.4.1.19376.1.3.3.
- ``BIO-CR-BIO_2023.01_Electrophorese.xml``: the material's ``CI-SIS_BIO-CR-BIO_2023.01.sch``
  includes ``include/specificationsVolets/BIO-CR-BIO_2023.01/...``, a folder the material
  does not contain: the schematron cannot be compiled (clear error, no verdict).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from homolog.suites.documents.schematron import SchematronError
from homolog.suites.documents.validator import DocumentError, DocumentValidator

VALID_EXAMPLES = [
    "VSM_1.4_2022.01.xml",
    "LDL-SES_2022.01.xml",
    "BIO-CR-BIO_2021.01_CR-2nde-intention.xml",
    "BIO-CR-BIO_2021.01_Electrophorese.xml",
    "BIO-CR-BIO_2021.01_Microbiologie_V1.xml",
    "BIO-CR-BIO_2021.01_Microbiologie_V2.xml",
    "BIO-CR-BIO_2024.01_CR-2nde-intention-PDF.xml",
    "BIO-CR-BIO_2024.01_CRP_non_LOINC.xml",
    "BIO-CR-BIO_2024.01_DEP-CCU-HPV-structuré-CYTO-pdf.xml.xml",
    "BIO-CR-BIO_2024.01_DEP-CCU-tout-structuré.xml",
    "BIO-CR-BIO_2024.01_Electrophorese.xml",
    "BIO-CR-BIO_2024.01_Glycémie deux unités principales_mole_masse.xml",
    "BIO-CR-BIO_2024.01_Glycémie mole.xml",
    "BIO-CR-BIO_2024.01_Microbiologie_V1.xml",
    "BIO-CR-BIO_2024.01_Microbiologie_V2.xml",
    "BIO-CR-BIO_2024.01_TSH_1.xml",
    "BIO-CR-BIO_2024.01_TSH_2.xml",
]
NS = {"cda": "urn:hl7-org:v3"}


def _schematron_named_by(cda_root: Path, example: str) -> Path:
    """The schematron the example's file name designates (volet and version)."""
    m = re.match(r"(.+?_(?:1\.4_)?\d{4}\.\d{2})", example)
    assert m, example
    return cda_root / "schematrons" / f"CI-SIS_{m.group(1)}.sch"


@pytest.mark.parametrize("example", VALID_EXAMPLES)
def test_ans_example_is_valid(example: str, cda_root: Path, validator: DocumentValidator) -> None:
    data = (cda_root / "ExemplesCDA" / example).read_bytes()
    report = validator.validate(data, schematron=_schematron_named_by(cda_root, example))
    assert report.errors == []
    assert report.fired_rules > 0  # the schematron ran on this document, not on nothing


@pytest.mark.parametrize("example", ["VSM_1.4_2022.01.xml", "LDL-SES_2022.01.xml", "BIO-CR-BIO_2024.01_TSH_1.xml"])
def test_volet_is_detected_from_template_ids(example: str, cda_root: Path, validator: DocumentValidator) -> None:
    report = validator.validate((cda_root / "ExemplesCDA" / example).read_bytes())
    assert report.volet is not None
    assert example.startswith(report.volet.name)
    assert report.valid


def test_flagged_examples(cda_root: Path, validator: DocumentValidator) -> None:
    ex = cda_root / "ExemplesCDA"
    with pytest.raises(DocumentError, match="stylesheet"):
        validator.validate((ex / "BIO-CR-BIO_2021.01_Auto-Presentable.xml").read_bytes())
    n1 = validator.validate(
        (ex / "BIO-CR-BIO_2021.01_CDA-R2-Niveau-1.xml").read_bytes(),
        schematron=cda_root / "schematrons" / "CI-SIS_BIO-CR-BIO_2021.01.sch",
    )
    assert [i.rule_id for i in n1.errors] == ["Entete_CR-BIO"]
    assert "1.3.6.1.4.1.19376.1.3.3" in n1.errors[0].message
    with pytest.raises(SchematronError, match=r"BIO-CR-BIO_2023\.01"):
        validator.validate(
            (ex / "BIO-CR-BIO_2023.01_Electrophorese.xml").read_bytes(),
            schematron=cda_root / "schematrons" / "CI-SIS_BIO-CR-BIO_2023.01.sch",
        )


def _mutate(path: Path, xpath: str, action: str, value: str | None = None) -> bytes:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    tree = etree.parse(str(path), parser)
    nodes = tree.xpath(xpath, namespaces=NS)
    assert nodes, xpath
    for node in nodes:
        if action == "remove":
            node.getparent().remove(node)
        elif action == "set-code":
            node.set("code", value or "")
        elif action == "insert-unknown":
            node.insert(0, etree.Element("{urn:hl7-org:v3}notInCda"))
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


MUTATIONS = [
    # (example, xpath, action, value, expected rule id, words of the expected message)
    ("VSM_1.4_2022.01.xml", "/cda:ClinicalDocument/cda:code", "set-code", "XXX", "Entete_VSM_2023", "SYNTH"),
    (
        "VSM_1.4_2022.01.xml",
        "//cda:section/cda:templateId[@root='1.3.6.1.4.1.19376.1.5.3.1.3.27']",
        "remove",
        None,
        "variables",
        "Résultats",
    ),
    (
        "LDL-SES_2022.01.xml",
        "//cda:recordTarget//cda:patient/cda:birthTime",
        "remove",
        None,
        "Entete_LDL-SES",
        "date de naissance",
    ),
    (
        "LDL-SES_2022.01.xml",
        "//cda:templateId[@root='1.2.250.1.213.1.1.2.35.1']",
        "remove",
        None,
        "variables",
        "FR-Statut-du-document-LDL-SES",
    ),
    (
        "BIO-CR-BIO_2024.01_TSH_1.xml",
        "/cda:ClinicalDocument/cda:templateId[@root='1.3.6.1.4.1.19376.1.3.3']",
        "remove",
        None,
        "Entete_CR-BIO",
        "1.3.6.1.4.1.19376.1.3.3",
    ),
    ("LDL-SES_2022.01.xml", "/cda:ClinicalDocument/cda:recordTarget", "insert-unknown", None, "CDA-XSD", "notInCda"),
]


@pytest.mark.parametrize(("example", "xpath", "action", "value", "rule", "words"), MUTATIONS)
def test_mutated_example_fails_with_expected_rule(
    example: str,
    xpath: str,
    action: str,
    value: str | None,
    rule: str,
    words: str,
    cda_root: Path,
    validator: DocumentValidator,
) -> None:
    src = cda_root / "ExemplesCDA" / example
    data = _mutate(src, xpath, action, value)
    schematron = _schematron_named_by(cda_root, example)
    if example.startswith("VSM"):
        schematron = cda_root / "schematrons" / "CI-SIS_VSM_2023.01.sch"
    report = validator.validate(data, schematron=schematron)
    assert not report.valid
    matching = [i for i in report.errors if i.rule_id == rule and words in i.message]
    assert matching, [str(i) for i in report.errors]


# Whole corpus, volet detected from templateIds (no schematron named by hand). Outcomes
# the ANS material itself gives for the files that are not plain valid documents:
CORPUS_FLAGGED = {
    # Self-presenting files: an XSLT stylesheet wrapping the CDA.
    "BIO-CR-BIO_2021.01_Auto-Presentable.xml": "not-cda",
    "BIO-CR-BIO_2021.01_Auto-Presentable_avec-image.xml": "not-cda",
    "CANCER-PPS_2022.01_Autopresentable.xml": "not-cda",
    # Unstructured level-1 documents: no volet templateId, so no volet schematron.
    "BIO-CR-BIO_2021.01_CDA-R2-Niveau-1.xml": "no-volet",
    "DOC_NON_STRUCTURE_CDA-R2-N1.xml": "no-volet",
    "IMG_CR_IMG_2024.01_CDA-R2-Niveau-1.xml": "no-volet",
    "TLM-CR_2022.01.xml": "no-volet",
    # 2021.01 CR-BIO without templateId extension: detection picks the latest schematron
    # (2024.01), which adds the PDF-copy section these older examples do not have.
    "BIO-CR-BIO_2021.01_CR-2nde-intention.xml": "invalid",
    "BIO-CR-BIO_2021.01_Electrophorese.xml": "invalid",
    "BIO-CR-BIO_2021.01_Microbiologie_V1.xml": "invalid",
    "BIO-CR-BIO_2021.01_Microbiologie_V2.xml": "invalid",
    # The 2023.01 CR-BIO schematron includes files missing from the material.
    "BIO-CR-BIO_2023.01_Electrophorese.xml": "schematron-missing-include",
    # A catalogue of every CI-SIS model under a VSM templateId, not a real VSM.
    "01_Modèles_contenus_CDA.xml": "invalid",
}


def _corpus() -> list[str]:
    # Collection time: fixtures are not available yet, so the shared_data location is
    # recomputed (repo root's sibling "shared/data").
    folder = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "cda" / "ExemplesCDA"
    return sorted(p.name for p in folder.glob("*.xml")) if folder.is_dir() else []


@pytest.mark.slow
@pytest.mark.parametrize("example", _corpus())
def test_whole_ans_corpus(example: str, cda_root: Path, validator: DocumentValidator) -> None:
    data = (cda_root / "ExemplesCDA" / example).read_bytes()
    expected = CORPUS_FLAGGED.get(example, "valid")
    if expected == "not-cda":
        with pytest.raises(DocumentError):
            validator.validate(data)
        return
    if expected == "schematron-missing-include":
        with pytest.raises(SchematronError, match="not found"):
            validator.validate(data)
        return
    report = validator.validate(data)
    if expected == "no-volet":
        assert report.volet is None
        assert [i.rule_id for i in report.errors] == ["volet"]
    elif expected == "invalid":
        assert report.errors and all(i.source == "schematron" for i in report.errors)
    else:
        assert report.volet is not None
        assert report.errors == [], [str(i) for i in report.errors[:3]]
