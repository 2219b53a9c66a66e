"""The FHIR REST-behaviour and HTTP checks against sekmet-fhir, a server nobody here wrote.

Findings checked by hand, true of sekmet 0.1.1:
- fhir.errors.unknown_type: GET [base]/Substance answers 200 (an empty searchset) although
  its CapabilityStatement does not declare Substance;
- http.headers.banner: every answer carries `Server: uvicorn`;
- fhir.errors.unsupported_interaction is skipped: every declared type supports delete and update.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sekmetserver import sekmet_executable, sekmet_target

from homolog.suites.fhir.packages import Conformance

pytestmark = pytest.mark.integration

CHECKS = [
    "fhir.rest.create",
    "fhir.rest.update",
    "fhir.rest.version_conflict",
    "fhir.rest.delete",
    "fhir.rest.conditional_create",
    "fhir.rest.conditional_update",
    "fhir.rest.prefer_return",
    "fhir.errors.unknown_type",
    "fhir.errors.unsupported_interaction",
    "fhir.format.negotiation",
    "http.headers.well_formed",
    "http.headers.banner",
    "http.status.not_found",
    "http.methods.head",
    "http.methods.options",
]


@pytest.fixture(scope="module")
def sekmet(tmp_path_factory: pytest.TempPathFactory, fr_core: Conformance) -> Iterator[Path]:
    if sekmet_executable() is None:
        pytest.skip("sekmet is not installed: `pip install sekmet-fhir` to run this test")
    with sekmet_target(tmp_path_factory.mktemp("sekmet-rest"), fr_core.examples()) as target:
        yield target


def test_rest_findings_on_sekmet(sekmet: Path, run_checks: Callable[..., dict[str, dict[str, Any]]]) -> None:
    results = run_checks(CHECKS, sekmet)
    verdicts = {c: r["verdict"] for c, r in results.items()}
    assert {c for c, v in verdicts.items() if v == "failed"} == {"fhir.errors.unknown_type", "http.headers.banner"}
    assert verdicts["fhir.errors.unsupported_interaction"] == "skipped"
    assert all(
        v == "passed"
        for c, v in verdicts.items()
        if c not in ("fhir.errors.unknown_type", "http.headers.banner", "fhir.errors.unsupported_interaction")
    )
    assert (
        "GET /fhir/Substance answered 200 although the CapabilityStatement does not declare Substance"
        in (results["fhir.errors.unknown_type"]["message"])
    )
    assert "Server: uvicorn names the framework uvicorn" in results["http.headers.banner"]["message"]
