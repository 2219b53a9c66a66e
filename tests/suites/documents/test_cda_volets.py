"""The templateId -> volet map agrees with the ANS schematrons; version selection rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from homolog.suites.documents.schematron import SchematronError, source_files
from homolog.suites.documents.volets import (
    VOLET_TEMPLATE_IDS,
    Volet,
    available_versions,
    detect_volet,
    schematron_for,
)


@pytest.mark.parametrize(("template_id", "volet"), sorted(VOLET_TEMPLATE_IDS.items()))
def test_every_mapped_volet_matches_the_ans_material(template_id: str, volet: str, cda_root: Path) -> None:
    """The volet has a schematron, and its templateId is named by the schematron sources
    (comments included) or declared by an ANS example of that volet."""
    versions = available_versions(cda_root / "schematrons", volet)
    assert versions, f"no CI-SIS_{volet}_*.sch"
    texts = []
    for path in versions.values():
        try:
            texts += [src.read_text("utf-8", errors="replace") for src in source_files(path)]
        except SchematronError:  # an incomplete schematron of the material (CR-BIO 2023.01)
            continue
    prefix = volet.replace("-CR-IMG", "_CR_IMG").lower()
    for example in (cda_root / "ExemplesCDA").glob("*.xml"):
        if example.name.lower().startswith(prefix):
            root = etree.parse(str(example), etree.XMLParser(resolve_entities=False)).getroot()
            roots = {t.get("root") for t in root.findall("{urn:hl7-org:v3}templateId")}
            if template_id in roots:
                return
    assert any(template_id in t for t in texts), f"{template_id} not in the {volet} material"


def test_version_choice(cda_root: Path) -> None:
    sch = cda_root / "schematrons"
    vsm = "1.2.250.1.213.1.1.1.13"
    assert schematron_for(sch, Volet("VSM", vsm, None)).name == "CI-SIS_VSM_2023.01.sch"
    pinned = schematron_for(sch, Volet("VSM", vsm, None), pinned={"VSM": "1.4_2022.01"})
    assert pinned.name == "CI-SIS_VSM_1.4_2022.01.sch"
    by_ext = schematron_for(sch, Volet("BIO-CR-BIO", "1.2.250.1.213.1.1.1.55", "2021.01"))
    assert by_ext.name == "CI-SIS_BIO-CR-BIO_2021.01.sch"
    assert schematron_for(sch, Volet("NOPE", "1.2.3", None)) is None


def test_most_specific_template_id_wins() -> None:
    doc = etree.fromstring(
        '<ClinicalDocument xmlns="urn:hl7-org:v3">'
        '<templateId root="1.2.250.1.213.1.1.1.1"/><templateId root="1.2.250.1.213.1.1.1.5"/>'
        '<templateId root="1.2.250.1.213.1.1.1.5.2" extension="2024.01"/></ClinicalDocument>'
    )
    assert detect_volet(doc) == Volet("CSE-CS9", "1.2.250.1.213.1.1.1.5.2", "2024.01")
