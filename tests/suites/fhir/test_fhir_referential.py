"""The fr-core-api referential: valid, every requirement automated by an existing fhir.* check."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from homolog.checks import registry
from homolog.referential import load_referential

ROOT = Path(__file__).resolve().parents[3] / "referentials"
# version -> number of requirements; the latest uses every fhir.* check
VERSIONS = {"1.0.0": 13, "1.1.0": 22}
LATEST = "1.1.0"


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_referential_is_valid_and_fully_automated(version: str) -> None:
    path = ROOT / "fr-core-api" / f"fr-core-api-{version}.yaml"
    schema = json.loads((ROOT / "referential.schema.json").read_text("utf-8"))
    data = yaml.safe_load(path.read_text("utf-8"))
    jsonschema.validate(data, schema)
    assert path.name == f"{data['id']}-{data['version']}.yaml"
    ref = load_referential(path)
    ids = [r.id for r in ref.requirements]
    assert ids == [f"FRCORE-API-{n:02d}" for n in range(1, VERSIONS[version] + 1)]
    assert {r.family for r in ref.requirements} == {"interoperabilite"}
    used = set()
    for req in ref.requirements:
        assert req.checks, req.id
        for check_ref in req.checks:
            spec = registry.get(check_ref.check)
            spec.validate_params(check_ref.params_json)
            used.add(spec.id)
    fhir_checks = {spec.id for spec in registry if spec.id.startswith("fhir.")}
    if version == LATEST:
        assert used == fhir_checks  # no fhir.* check is left out of the referential
    for check_id in fhir_checks:
        assert registry.get(check_id).title.strip(), check_id
