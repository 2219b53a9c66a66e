"""The FHIR RESTful-behaviour checks (create, update, If-Match, delete, conditional writes,
Prefer, unknown types and interactions, negotiation) against the reference SUT: the clean
system passes, each defect fails exactly its checks, undeclared interactions are skipped
and a sample the server refuses is an error, never a pass."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

REST_CHECKS = [
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
]
DEFECT_CHECKS = {
    "fhir-create-200-no-location": {"fhir.rest.create"},
    "fhir-update-201": {"fhir.rest.update"},
    "fhir-if-match-ignored": {"fhir.rest.version_conflict"},
    "fhir-delete-not-gone": {"fhir.rest.delete"},
    "fhir-conditional-ignored": {"fhir.rest.conditional_create", "fhir.rest.conditional_update"},
    "fhir-unknown-type-500": {"fhir.errors.unknown_type", "fhir.errors.unsupported_interaction"},
    "fhir-format-ignored": {"fhir.format.negotiation"},
    "fhir-prefer-ignored": {"fhir.rest.prefer_return"},
    # the XML body crashes the server, which resets the connection instead of answering 415
    "reset-after-500": {"fhir.format.negotiation"},
    # errors as text/plain: the error checks want an OperationOutcome
    "no-operation-outcome": {"fhir.errors.unknown_type", "fhir.errors.unsupported_interaction"},
}

RunChecks = Callable[..., dict[str, dict[str, Any]]]


def test_clean_sut_passes_and_records_what_it_created(clean_sut: Any, run_checks: RunChecks, tmp_path: Path) -> None:
    results = run_checks(REST_CHECKS, clean_sut.target_path)
    assert {c: r["verdict"] for c, r in results.items()} == dict.fromkeys(REST_CHECKS, "passed"), {
        c: r["message"] for c, r in results.items()
    }
    created = next(p for p in results["fhir.rest.conditional_create"]["evidence"] if p.endswith("created.json"))
    record = json.loads((tmp_path / "run-0" / created).read_text("utf-8"))["created"]
    assert len(record) == 3  # first, no-match, twin; the one-match and several-match posts created nothing
    assert all(c["type"] == "Observation" and c["removed"].startswith("DELETE -> 204") for c in record)


@pytest.mark.parametrize("defect", sorted(DEFECT_CHECKS))
def test_defect_fails_its_checks_and_only_those(defect: str, refsut: Callable[..., Any], run_checks: RunChecks) -> None:
    sut = refsut(defects={defect})
    results = run_checks(REST_CHECKS, sut.target_path)
    failed = {c for c, r in results.items() if r["verdict"] == "failed"}
    assert failed == DEFECT_CHECKS[defect], {c: r["message"] for c, r in results.items()}
    assert all(r["verdict"] == "passed" for c, r in results.items() if c not in failed)


def _with_sample(target: Path, sample: dict[str, Any], out: Path) -> Path:
    doc = yaml.safe_load(target.read_text("utf-8"))
    doc["tls"]["ca_file"] = str(target.parent / doc["tls"]["ca_file"])
    doc["data"]["fhir_write_sample"] = sample
    out.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return out


def test_interactions_the_server_does_not_declare_are_skipped(
    clean_sut: Any, run_checks: RunChecks, tmp_path: Path
) -> None:
    # Patient: no conditional create, versioned (not -update).
    target = _with_sample(clean_sut.target_path, {"resourceType": "Patient"}, tmp_path / "patient.yaml")
    results = run_checks(["fhir.rest.conditional_create", "fhir.rest.version_conflict"], target)
    assert {c: r["verdict"] for c, r in results.items()} == dict.fromkeys(results, "skipped")
    # DocumentReference: read and search only, no create and no delete.
    target = _with_sample(clean_sut.target_path, {"resourceType": "DocumentReference"}, tmp_path / "doc.yaml")
    result = run_checks(["fhir.rest.delete"], target)["fhir.rest.delete"]
    assert result["verdict"] == "skipped", result["message"]
    assert "declares no create, delete for DocumentReference" in result["message"]


def test_a_sample_the_server_refuses_is_an_error_naming_the_data_key(
    clean_sut: Any, run_checks: RunChecks, tmp_path: Path
) -> None:
    target = _with_sample(clean_sut.target_path, {"resourceType": "Observation"}, tmp_path / "bad.yaml")
    result = run_checks(["fhir.rest.create"], target)["fhir.rest.create"]
    assert result["verdict"] == "error"
    assert "refused to create the sample Observation" in result["message"]
    assert "data.fhir_write_sample" in result["message"]
