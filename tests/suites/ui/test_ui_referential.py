"""The generated rgaa-4.1 referential: complete, valid, and in step with its generator."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from homolog import load_referential

REPO = Path(__file__).resolve().parents[3]
RGAA = REPO / "referentials" / "rgaa" / "rgaa-4.1-4.1.2+2.yaml"
EDITION_1 = REPO / "referentials" / "rgaa" / "rgaa-4.1-4.1.2.yaml"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rgaa_generate", RGAA.parent / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_all_106_criteria_with_official_ids_and_topics() -> None:
    ref = load_referential(RGAA)
    assert (ref.id, ref.version) == ("rgaa-4.1", "4.1.2+2")
    ids = [r.id for r in ref.requirements]
    assert len(ids) == 106 == len(set(ids))
    assert ids[0] == "RGAA-1.1" and ids[-1] == "RGAA-13.12"


def test_automated_criteria_and_attestations() -> None:
    doc = yaml.safe_load(RGAA.read_text(encoding="utf-8"))
    by_id = {r["id"]: r for r in doc["requirements"]}
    assert by_id["RGAA-1.1"]["checks"] == [{"check": "ui.a11y.rgaa_criterion", "with": {"criterion": "1.1"}}]
    assert by_id["RGAA-3.2"]["family"] == "couleurs"
    assert [c["check"] for c in by_id["RGAA-12.9"]["checks"]] == ["ui.keyboard.no_trap"]
    assert [c["check"] for c in by_id["RGAA-7.3"]["checks"]] == ["ui.a11y.rgaa_criterion", "ui.keyboard.tab_reachable"]
    # Edition 2: 9.1 by homolog's heading rule (axe's heading-order is best-practice only).
    assert by_id["RGAA-9.1"]["checks"] == [{"check": "ui.a11y.headings", "with": {}}]
    # No stable axe rule for 1.2 (decorative images): the auditor checks the RGAA tests.
    manual = by_id["RGAA-1.2"]
    assert "checks" not in manual
    assert "Test 1.2.1 :" in manual["attestation"]["scenario"]["fr"]
    # Glossary links of the RGAA markdown are reduced to their words.
    assert "](#" not in RGAA.read_text(encoding="utf-8")


def test_committed_file_is_what_the_generator_writes(tmp_path: Path, shared_data: Path) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is needed to read axe-core's rule tags")
    out = tmp_path / "rgaa.yaml"
    generator().main(["--criteres", str(shared_data / "rgaa" / "criteres.json"), "--out", str(out)])
    assert out.read_text(encoding="utf-8") == RGAA.read_text(encoding="utf-8")


def test_edition_1_is_still_published_as_it_was() -> None:
    """Published versions are immutable: edition 2 is a new file, edition 1 keeps 9.1 manual."""
    ref = load_referential(EDITION_1)
    assert (ref.id, ref.version) == ("rgaa-4.1", "4.1.2")
    assert ref.requirement("RGAA-9.1").kind == "manual"
    assert load_referential("rgaa-4.1").version == "4.1.2+2"
