"""The http.* checks against the reference SUT: the clean system passes on every base, each
defect fails exactly the checks of the behaviour it breaks, and a web-only system (no FHIR,
no DICOMweb base) is judged too."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

HTTP_CHECKS = [
    "http.headers.well_formed",
    "http.headers.banner",
    "http.status.not_found",
    "http.methods.head",
    "http.methods.options",
]
# defect -> the http.* checks it must fail (all others pass)
DEFECT_CHECKS = {
    "duplicate-date-header": {"http.headers.well_formed"},
    "missing-static-405": {"http.status.not_found"},
    "no-head-options": {"http.methods.head", "http.methods.options"},
    "powered-by-banner": {"http.headers.banner"},
    # the FHIR base's unknown paths answer 500: not the 404 RFC 9110 asks for
    "fhir-unknown-type-500": {"http.status.not_found"},
}


def _evidence(result: dict[str, Any], run_dir: Path, suffix: str) -> Any:
    for rel in result["evidence"]:
        if rel.endswith(suffix):
            return json.loads((run_dir / rel).read_text(encoding="utf-8"))
    raise AssertionError(f"no evidence *{suffix} in {result['evidence']}")


def test_clean_sut_passes_on_every_base_with_the_clause_in_the_evidence(
    clean_sut: Any, run_checks: Callable[..., dict[str, dict[str, Any]]], tmp_path: Path
) -> None:
    results = run_checks(HTTP_CHECKS, clean_sut.target_path)
    assert {c: r["verdict"] for c, r in results.items()} == dict.fromkeys(HTTP_CHECKS, "passed")
    headers = _evidence(results["http.headers.well_formed"], tmp_path / "run-0", "http-headers.json")
    assert "RFC 9110 §5.3" in headers["clauses"]["single-valued fields"]
    bases = {r["base"] for r in headers["responses"]}
    assert bases == {"fhir", "web", "web_http", "dicomweb"}  # every declared base but the PSC provider
    status = _evidence(results["http.status.not_found"], tmp_path / "run-0", "http-status.json")
    assert any("static file" in r["probe"] for r in status["responses"])


@pytest.mark.parametrize("defect", sorted(DEFECT_CHECKS))
def test_defect_fails_its_checks_and_only_those(
    defect: str, refsut: Callable[..., Any], run_checks: Callable[..., dict[str, dict[str, Any]]]
) -> None:
    sut = refsut(defects={defect})
    results = run_checks(HTTP_CHECKS, sut.target_path)
    failed = {c for c, r in results.items() if r["verdict"] == "failed"}
    assert failed == DEFECT_CHECKS[defect], {c: r["message"] for c, r in results.items()}
    assert all(r["verdict"] == "passed" for c, r in results.items() if c not in failed)
    for check in failed:
        assert "RFC 9110" in results[check]["message"]


def _web_only(target: Path, out: Path) -> Path:
    """The SUT's target without its FHIR and DICOMweb APIs: a web application only."""
    doc = yaml.safe_load(target.read_text("utf-8"))
    doc["tls"]["ca_file"] = str(target.parent / doc["tls"]["ca_file"])
    for base in ("fhir", "dicomweb"):
        doc["base_urls"].pop(base)
        doc["auth"].pop(base)
    doc["settings"].pop("http")
    out.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return out


@pytest.mark.parametrize("defect", [None, "powered-by-banner"])
def test_a_web_only_system_is_judged_banners_included(
    defect: str | None,
    refsut: Callable[..., Any],
    run_checks: Callable[..., dict[str, dict[str, Any]]],
    tmp_path: Path,
) -> None:
    sut = refsut(defects={defect} if defect else set())
    target = _web_only(sut.target_path, tmp_path / "web-only.yaml")
    checks = [*HTTP_CHECKS, "security.headers.error_disclosure"]
    results = run_checks(checks, target)
    verdicts = {c: r["verdict"] for c, r in results.items()}
    if defect is None:
        assert verdicts == dict.fromkeys(checks, "passed"), {c: r["message"] for c, r in results.items()}
    else:
        assert {c for c, v in verdicts.items() if v == "failed"} == {
            "http.headers.banner",
            "security.headers.error_disclosure",
        }
        assert (
            "X-Powered-By" in results["http.headers.banner"]["message"]
            or "x-powered-by" in results["http.headers.banner"]["message"]
        )
