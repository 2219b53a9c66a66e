"""Two consecutive `data_policy: create` runs against sekmet-fhir (PyPI), a FHIR server nobody
here wrote, leave it as they found it and give the same verdicts (issue 16.5).

The runs post Patients (valid and invalid), Observations and conditional creates; the
cleanup ledger deletes them through the API at the end of each run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sekmetserver import sekmet_executable, sekmet_target

from homolog.suites.fhir.packages import Conformance
from homolog.testing import run_referential

pytestmark = pytest.mark.integration

REFERENTIAL = Path(__file__).resolve().parents[3] / "referentials" / "fr-core-api" / "fr-core-api-1.1.0.yaml"
TYPES = ("Patient", "Practitioner", "Organization", "Observation", "DocumentReference", "Binary")


@pytest.fixture(scope="module")
def sekmet_create(tmp_path_factory: pytest.TempPathFactory, fr_core: Conformance) -> Iterator[Path]:
    if sekmet_executable() is None:
        pytest.skip("sekmet is not installed: `pip install sekmet-fhir` to run this test")
    with sekmet_target(tmp_path_factory.mktemp("sekmet-create"), fr_core.examples()) as target:
        doc = yaml.safe_load(target.read_text("utf-8"))
        doc["data_policy"] = "create"
        writable = target.with_name("target-create.yaml")
        writable.write_text(yaml.safe_dump(doc), encoding="utf-8")
        yield writable


def _counts(target: Path) -> dict[str, int]:
    """Resources of each type the server holds, read through its own search."""
    doc = yaml.safe_load(target.read_text("utf-8"))
    client = httpx.Client(
        base_url=doc["base_urls"]["fhir"],
        headers={"Authorization": "Bearer sekmet-test-token", "Accept": "application/fhir+json"},
        trust_env=False,
        timeout=30,
    )
    with client:
        out = {}
        for rtype in TYPES:
            resp = client.get(f"/{rtype}", params={"_count": 1000})
            assert resp.status_code == 200, resp.text[:300]
            bundle = resp.json()
            assert len(bundle.get("entry") or []) < 1000  # one page holds them all
            out[rtype] = len(bundle.get("entry") or [])
    return out


def _verdicts(doc: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    return {r["id"]: (r["verdict"], *(c["verdict"] for c in r["checks"])) for r in doc["requirements"]}


def test_two_create_runs_restore_the_counts_and_agree(
    sekmet_create: Path, fhir_packages_env: None, tmp_path: Path
) -> None:
    before = _counts(sekmet_create)
    first = run_referential(REFERENTIAL, sekmet_create, tmp_path / "run1")
    after_first = _counts(sekmet_create)
    second = run_referential(REFERENTIAL, sekmet_create, tmp_path / "run2")
    after_second = _counts(sekmet_create)
    for doc in (first, second):
        cleanup = doc["cleanup"]
        assert cleanup["created"] > 0, cleanup  # the runs wrote (else this proves nothing)
        assert cleanup["removed"] == cleanup["created"] and cleanup["remaining"] == [], cleanup
    assert after_first == before, (before, after_first)
    assert after_second == before, (before, after_second)
    assert _verdicts(second) == _verdicts(first)
