"""The ins-rniv referential: valid, wired to existing checks, passing on the clean SUT
wired to the INSi simulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from homolog import load_referential, registry
from homolog.counterparts.insi import InsiSimulator, declare_simulator
from homolog.testing import run_referential

REF = Path(__file__).resolve().parents[3] / "referentials" / "ins-rniv" / "ins-rniv-1.1.0.yaml"


@pytest.fixture
def insi_sut(refsut: Any, tmp_path: Path) -> Iterator[Any]:
    with InsiSimulator(workdir=tmp_path / "insi") as insi:
        sut = refsut(insi_url=insi.url, insi_ca=insi.ca_file)
        declare_simulator(sut.target_path, insi)
        yield sut


def test_every_requirement_is_checked_or_attested_with_valid_params() -> None:
    ref = load_referential(REF)
    assert ref.id == "ins-rniv"
    seen = set()
    for req in ref.requirements:
        assert req.family == "identite"
        for use in req.checks or ():
            spec = registry.get(use.check)
            spec.validate_params(use.params_json)
            seen.add(use.check)
    identity_checks = {s.id for s in registry if s.id.startswith("identity.")}
    assert identity_checks <= seen, f"checks no requirement uses: {identity_checks - seen}"


def test_clean_sut_passes_every_automated_requirement(insi_sut: Any, tmp_path: Path) -> None:
    # Robustness and the banner have their own tests (slow: 200 requests, Chromium).
    run = run_referential(
        REF, insi_sut.target_path, tmp_path / "run", extra_args=["-k", "not robustness and not banner"]
    )
    verdicts = {r["id"]: r["verdict"] for r in run["requirements"]}
    assert verdicts["INS-RNIV-08"] == "passed"
    checked = {
        k: v for k, v in verdicts.items() if k not in ("INS-RNIV-06", "INS-RNIV-07", "INS-RNIV-09", "INS-RNIV-10")
    }
    assert checked and all(v == "passed" for v in checked.values()), verdicts
