"""The programme referentials (Ségur DPI, Mon espace santé catalogue) load, validate and apply."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from homolog.checks import registry
from homolog.plan import applicability
from homolog.referential import Referential, load_referential
from homolog.target import load_target

REFERENTIALS = Path(__file__).resolve().parents[2] / "referentials"
PROGRAMMES = {
    "segur-dpi": REFERENTIALS / "segur-dpi" / "segur-dpi-2.0.0.yaml",
    "segur-dui": REFERENTIALS / "segur-dui" / "segur-dui-1.0.0.yaml",
    "mes-catalogue": REFERENTIALS / "mes-catalogue" / "mes-catalogue-1.0.0.yaml",
    "dmn-telesurveillance": REFERENTIALS / "dmn-telesurveillance" / "dmn-telesurveillance-1.yaml",
    "segur-lgc": REFERENTIALS / "segur-lgc" / "segur-lgc-1.0.0.yaml",
}
# DSR numbering: SECTION[/SUB].NN, optional trailing p for a préconisation; wave-1 INS/va1.NN.
SEGUR_ID = re.compile(r"^[A-Z]+(/[A-Za-z0-9]+)?\.\d{2}p?$")
MES_ID = re.compile(r"^MES-(URB|INT|SEC|ETH|ACC|ECO)-\d{2}$")
MES_FAMILIES = {"urbanisation", "interoperabilite", "securite", "ethique", "accessibilite"}
MES_FAMILIES |= {"ecoconception"}


@pytest.fixture(scope="module")
def loaded() -> dict[str, Referential]:
    return {name: load_referential(path) for name, path in PROGRAMMES.items()}


@pytest.mark.parametrize("name", sorted(PROGRAMMES))
def test_file_validates_against_the_schema(name: str) -> None:
    schema = json.loads((REFERENTIALS / "referential.schema.json").read_text("utf-8"))
    data = yaml.safe_load(PROGRAMMES[name].read_text("utf-8"))
    jsonschema.validate(data, schema)
    assert data["id"] == name
    assert PROGRAMMES[name].name == f"{data['id']}-{data['version']}.yaml"


@pytest.mark.parametrize("name", sorted(PROGRAMMES))
def test_every_requirement_is_decidable(loaded: dict[str, Referential], name: str) -> None:
    ref = loaded[name]
    assert ref.requirements
    ids = [r.id for r in ref.requirements]
    assert len(ids) == len(set(ids))
    for req in ref.requirements:
        assert req.text.fr.strip() and req.source.document
        if req.kind == "manual":
            # the DSR asks for named proofs: an attestation says what to supply
            assert req.attestation is not None and req.attestation.evidence.fr.strip()


@pytest.mark.parametrize("name", sorted(PROGRAMMES))
def test_referenced_checks_exist_and_accept_their_parameters(loaded: dict[str, Referential], name: str) -> None:
    problems = []
    for req in loaded[name].requirements:
        for ref in req.checks:
            if ref.check not in registry:
                problems.append(f"{req.id}: unknown check {ref.check}")
                continue
            try:
                registry.get(ref.check).validate_params(ref.params_json)
            except ValueError as exc:
                problems.append(f"{req.id}: {ref.check}: {exc}")
    assert problems == []


def test_segur_own_ids_follow_the_dsr_numbering(loaded: dict[str, Referential]) -> None:
    own = [r for r in loaded["segur-dpi"].requirements if r.origin.startswith("segur-dpi@")]
    assert own
    for req in own:
        assert SEGUR_ID.match(req.id), req.id
        assert req.id.endswith("p") == (req.level == "preconisation"), req.id


def test_telemonitoring_ids_are_marked_unconfirmed(loaded: dict[str, Referential]) -> None:
    # the annex's numbering could not be read: every telemonitoring id says so, in one place
    own = [r for r in loaded["dmn-telesurveillance"].requirements if r.origin.startswith("dmn-telesurveillance@")]
    assert len(own) == 9
    for req in own:
        assert re.fullmatch(r"TLSV-[A-Z]+-\d{2}", req.id), req.id
        assert req.source.to_confirm, req.id
    socle = {r.id for r in loaded["dmn-telesurveillance"].requirements} - {r.id for r in own}
    assert {"INS-RNIV-01", "PSC.08", "SSI/IAM.91", "MES-SEC-01"} <= socle


def test_segur_lgc_own_ids_follow_the_dsr_numbering_and_say_they_are_unconfirmed(
    loaded: dict[str, Referential],
) -> None:
    own = [r for r in loaded["segur-lgc"].requirements if r.origin.startswith("segur-lgc@")]
    assert {r.id.split("/")[0] for r in own} == {"ORDN"}
    for req in own:
        assert SEGUR_ID.match(req.id), req.id
        assert req.id.endswith("p") == (req.level == "preconisation"), req.id
        # no public DSR text confirms the ORDN numbering: each id says so
        assert req.source.to_confirm, req.id
    automated = {r.id for r in own if r.kind != "manual"}
    assert automated == {"ORDN/ENR.01", "ORDN/ENR.02", "ORDN/IMP.01", "ORDN/IMP.02"}


def test_mes_catalogue_ids_families_and_levels(loaded: dict[str, Referential]) -> None:
    reqs = loaded["mes-catalogue"].requirements
    by_origin: dict[str, list[str]] = {}
    for r in reqs:
        by_origin.setdefault(r.origin.split("@")[0], []).append(r.id)
    # security comes from the mes-securite socle, accessibility criteria from the RGAA
    assert sorted(by_origin) == ["mes-catalogue", "mes-securite", "rgaa-4.1"]
    assert len(by_origin["rgaa-4.1"]) == 106
    mes = [r for r in reqs if not r.origin.startswith("rgaa-4.1@")]
    assert {r.family for r in mes} == MES_FAMILIES
    for req in mes:
        assert MES_ID.match(req.id), req.id
    own = [r for r in mes if r.origin.startswith("mes-catalogue@")]
    for req in own:
        assert "23 juin 2022" in req.source.document
    assert {r.level for r in own} == {"exigence", "preconisation"}


def _target(tmp_path: Path, options: dict[str, object]) -> Path:
    path = tmp_path / "target.yaml"
    doc = {
        "format": "homolog.target/1",
        "system": {"name": "DPI de test", "version": "1.0", "vendor": "homolog"},
        "base_urls": {"web": "https://127.0.0.1:9/"},
        "options": options,
    }
    path.write_text(yaml.safe_dump(doc), "utf-8")
    return path


def test_declared_options_select_what_applies(loaded: dict[str, Referential], tmp_path: Path) -> None:
    demo = load_target(
        _target(
            tmp_path,
            {"profile": "DPI", "modules": ["dmp", "mss", "psc", "documents"], "hosting": "hds"},
        )
    )
    reasons = {r.id: applicability(r, demo) for r in loaded["segur-dpi"].requirements}
    assert reasons["DMP/ALIM.01"] is None
    assert reasons["HEB.01"] is None
    assert reasons["APCV.01"] is not None
    # the reason names the declaration it came from, for the reviewer
    assert "target.yaml: options.modules" in reasons["APCV.01"]
    assert "apcv" in reasons["APCV.01"]

    on_premises = load_target(_target(tmp_path, {"modules": ["mss"], "hosting": "on-premises"}))
    reasons = {r.id: applicability(r, on_premises) for r in loaded["segur-dpi"].requirements}
    assert reasons["DMP/ALIM.01"] is not None
    assert reasons["HEB.01"] is not None and "options.hosting" in reasons["HEB.01"]


def test_homolog_lint_passes_on_the_programmes() -> None:
    from homolog.lint import lint_paths

    count, problems = lint_paths(list(PROGRAMMES.values()))
    assert count == len(PROGRAMMES)
    assert [str(p) for p in problems] == []
