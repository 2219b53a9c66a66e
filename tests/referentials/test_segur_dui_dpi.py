"""Ségur DUI 1.0.0 and DPI 2.2.0: composition from the socles, ids still to confirm, applicability."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_programme_referentials import _target

from homolog.plan import applicability
from homolog.referential import Referential, load_referential
from homolog.target import load_target

REFERENTIALS = Path(__file__).resolve().parents[2] / "referentials"
DEMO_OPTIONS: dict[str, object] = {"profile": "DPI", "modules": ["dmp", "mss", "psc", "documents"], "hosting": "hds"}


def _load(programme: str, version: str) -> Referential:
    return load_referential(REFERENTIALS / programme / f"{programme}-{version}.yaml")


@pytest.fixture(scope="module")
def dui() -> Referential:
    return _load("segur-dui", "1.0.0")


@pytest.fixture(scope="module")
def dpi() -> Referential:
    return _load("segur-dpi", "2.2.0")


def _origins(ref: Referential) -> dict[str, str]:
    return {r.id: r.origin for r in ref.requirements}


def _reasons(ref: Referential, tmp_path: Path, options: dict[str, object]) -> dict[str, str | None]:
    target = load_target(_target(tmp_path, options))
    return {r.id: applicability(r, target) for r in ref.requirements}


def test_dui_is_composed_of_the_socles_it_picks(dui: Referential) -> None:
    origins = _origins(dui)
    assert {o.split("@")[0] for o in origins.values()} == {
        "segur-dui",
        "ins-rniv",
        "ssi",
        "psc",
        "mss",
        "dmp",
        "ci-sis-documents",
    }
    expected = {
        "INS/va1.53": "ins-rniv@1.2.0",
        "INS-RNIV-08": "ins-rniv@1.2.0",
        "SSI/IAM.92": "ssi@1.0.0",
        "PSC.08": "psc@1.0.0",
        "MSS/CONF.03": "mss@1.2.0",
        "MSS-ENV-05": "mss@1.2.0",
        "DMP/ALIM.01": "dmp@1.0.0",
        "DMP/HISTO.05": "dmp@1.0.0",
        "DMP/HISTO.03": "ci-sis-documents@1.0.0",
        "CISIS-DOC-04": "ci-sis-documents@1.0.0",
    }
    assert {rid: origins.get(rid) for rid in expected} == expected


def test_dui_own_requirements_are_flagged_to_confirm(dui: Referential) -> None:
    own = [r for r in dui.requirements if r.origin == "segur-dui@1.0.0"]
    assert [r.id for r in own] == [f"HL-DUI-{n:02d}" for n in range(1, 10)]
    assert all(r.source.to_confirm and r.source.to_confirm.strip() for r in own)
    automated = {r.id: [(c.check, c.params_json) for c in r.checks] for r in own if r.checks}
    assert automated == {
        "HL-DUI-01": [("documents.header.structure_finess", {"places": ["custodian", "author"], "check_luhn": True})],
        "HL-DUI-02": [("documents.header.author_custodian_ids", {"check_luhn": True})],
    }
    for req in own:
        if req.attestation is not None:
            assert req.attestation.proofs, req.id


def test_dui_on_the_demo_options_everything_applies_but_the_patient_portal(dui: Referential, tmp_path: Path) -> None:
    reasons = _reasons(dui, tmp_path, DEMO_OPTIONS)
    assert {rid for rid, why in reasons.items() if why} == {"SSI/IE.51", "SSI/IE.52"}


def test_dui_applicability_per_domain_module_and_hosting(dui: Referential, tmp_path: Path) -> None:
    ehpad = _reasons(dui, tmp_path, {"modules": ["documents", "dmp"], "esms_domains": ["PA"], "hosting": "hds"})
    assert ehpad["HL-DUI-07"] is None and ehpad["HL-DUI-08"] is None
    assert ehpad["HL-DUI-06"] is None and ehpad["DMP/ALIM.01"] is None
    # PSC and MSSanté are modules this DUI does not offer
    assert all(ehpad[rid] for rid in ("PSC.01", "MSS/CONF.01", "MSS-ENV-01"))

    disability = _reasons(dui, tmp_path, {"modules": ["documents"], "esms_domains": ["PH", "DOM"]})
    assert "options.esms_domains" in (disability["HL-DUI-07"] or "")
    assert disability["HL-DUI-08"] is not None
    # without a DMP module, neither the socle's DMP feed nor the sector's DMP documents apply
    assert disability["DMP/ALIM.01"] is not None and disability["HL-DUI-06"] is not None
    assert disability["DMP/HISTO.03"] is not None
    assert disability["HL-DUI-01"] is None and disability["HL-DUI-02"] is None

    on_premises = _reasons(dui, tmp_path, {"modules": ["mss"], "hosting": "on-premises"})
    assert "options.hosting" in (on_premises["HL-DUI-09"] or "")
    assert on_premises["HL-DUI-05"] is None  # documents received by MSSanté
    assert on_premises["HL-DUI-01"] is not None  # produces no document


def test_dpi_2_2_0_keeps_every_2_1_0_id_and_adds_the_mss_sending_block(dpi: Referential) -> None:
    before = _origins(_load("segur-dpi", "2.1.0"))
    after = _origins(dpi)
    assert set(before) <= set(after)
    assert set(after) - set(before) == {"MSS/CONF.05", "MSS/CONF.14", "MSS/CONF.15", "MSS/CONF.16"} | {
        f"MSS-ENV-0{n}" for n in range(1, 6)
    }
    dmp_ids = {"DMP/ALIM.01", "DMP/ALIM.03", "DMP/ALIM.04", "DMP/HISTO.05", "DMP/CONS.01"}
    assert {rid: after[rid] for rid in dmp_ids} == dict.fromkeys(dmp_ids, "dmp@1.0.0")
    assert before["DMP/ALIM.01"] == "segur-dpi@2.1.0"
    # the same checks verify the DMP requirements in both versions
    old = {r.id: r.checks for r in _load("segur-dpi", "2.1.0").requirements}
    assert all(r.checks == old[r.id] for r in dpi.requirements if r.id in dmp_ids)


def test_dpi_2_2_0_lists_its_unconfirmed_ids_in_source(dpi: Referential) -> None:
    unconfirmed = {r.id for r in dpi.requirements if r.source.to_confirm}
    assert unconfirmed == {
        "DMP/ALIM.01",
        "DMP/ALIM.03",
        "DMP/ALIM.04",
        "DMP/CONS.01",
        "HEB.01",
        "APCV.01",
        "INS/va1.53",
        "MSS/CONF.05",
        "MSS/CONF.14",
        "MSS/CONF.15",
        "MSS/CONF.16",
    }
    text = (REFERENTIALS / "segur-dpi" / "segur-dpi-2.2.0.yaml").read_text("utf-8")
    # no requirement is flagged in a comment only any more
    assert not re.search(r"^\s+# Numbering of .* to confirm", text, re.MULTILINE)


@pytest.mark.parametrize(("programme", "old", "new"), [("mss", "1.1.0", "1.2.0"), ("ins-rniv", "1.1.0", "1.2.0")])
def test_socle_versions_that_only_add_to_confirm(programme: str, old: str, new: str) -> None:
    def content(ref: Referential) -> list[object]:
        out = []
        for r in ref.requirements:
            data = r.to_json()
            data["source"].pop("to_confirm", None)
            data.pop("origin", None)
            out.append(data)
        return out

    before, after = _load(programme, old), _load(programme, new)
    assert content(before) == content(after)
    assert any(r.source.to_confirm for r in after.requirements)
    assert not any(r.source.to_confirm for r in before.requirements)
