"""The imagerie and http-conformite referentials: valid, fully automated, every check of their domain used."""

from __future__ import annotations

from pathlib import Path

import pytest

from homolog.checks import registry
from homolog.referential import load_referential

ROOT = Path(__file__).resolve().parents[3] / "referentials"


@pytest.mark.parametrize(
    ("path", "prefix", "ids"),
    [
        ("imagerie/imagerie-1.0.0.yaml", "imaging.", [f"IMG-DW-{n:02d}" for n in range(1, 10)]),
        ("http-conformite/http-conformite-1.0.0.yaml", "http.", [f"HTTP-{n:02d}" for n in range(1, 6)]),
    ],
)
def test_referential_automates_every_check_of_its_domain(path: str, prefix: str, ids: list[str]) -> None:
    ref = load_referential(ROOT / path)
    assert [r.id for r in ref.requirements] == ids
    used = set()
    for req in ref.requirements:
        assert req.checks and req.source.url, req.id
        for check_ref in req.checks:
            registry.get(check_ref.check).validate_params(check_ref.params_json)
            used.add(check_ref.check)
    assert used == {spec.id for spec in registry if spec.id.startswith(prefix)}
