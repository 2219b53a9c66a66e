"""The imaging.* (DICOMweb) checks against the reference SUT: the clean system passes, each
defect fails exactly its checks; what the checks need from the target is named when missing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

IMAGING_CHECKS = [
    "imaging.qido.percent_decoding",
    "imaging.qido.matching",
    "imaging.qido.includefield",
    "imaging.qido.paging",
    "imaging.qido.dicom_json",
    "imaging.wado.metadata",
    "imaging.wado.instances",
    "imaging.stow.store_then_find",
    "imaging.errors.status_codes",
]
DEFECT_CHECKS = {
    "dicomweb-no-percent-decoding": {"imaging.qido.percent_decoding"},
    "dicomweb-qido-ignores-key": {"imaging.qido.matching"},
    "dicomweb-qido-ignores-options": {"imaging.qido.includefield", "imaging.qido.paging"},
    "dicomweb-wrong-media-type": {"imaging.qido.dicom_json", "imaging.wado.metadata"},
    "dicomweb-wado-single-part": {"imaging.wado.instances"},
    "dicomweb-stow-unindexed": {"imaging.stow.store_then_find"},
    "dicomweb-lax-errors": {"imaging.errors.status_codes"},
}
RunChecks = Callable[..., dict[str, dict[str, Any]]]


def test_clean_sut_passes_and_the_stored_study_is_recorded(
    clean_sut: Any, run_checks: RunChecks, tmp_path: Path
) -> None:
    results = run_checks(IMAGING_CHECKS, clean_sut.target_path)
    assert {c: r["verdict"] for c, r in results.items()} == dict.fromkeys(IMAGING_CHECKS, "passed"), {
        c: r["message"] for c, r in results.items()
    }
    stow = results["imaging.stow.store_then_find"]
    created = next(p for p in stow["evidence"] if p.endswith("created.json"))
    record = json.loads((tmp_path / "run-0" / created).read_text("utf-8"))["created"][0]
    assert record["type"] == "DICOM study" and record["StudyInstanceUID"].startswith("2.25.")
    clause = next(p for p in results["imaging.qido.percent_decoding"]["evidence"] if "percent-decoding" in p)
    assert "PS3.18 §8.3.1" in json.loads((tmp_path / "run-0" / clause).read_text("utf-8"))["clause"]


@pytest.mark.parametrize("defect", sorted(DEFECT_CHECKS))
def test_defect_fails_its_checks_and_only_those(defect: str, refsut: Callable[..., Any], run_checks: RunChecks) -> None:
    sut = refsut(defects={defect})
    results = run_checks(IMAGING_CHECKS, sut.target_path)
    failed = {c for c, r in results.items() if r["verdict"] == "failed"}
    assert failed == DEFECT_CHECKS[defect], {c: r["message"] for c, r in results.items()}
    assert all(r["verdict"] == "passed" for c, r in results.items() if c not in failed)
    for check in failed:
        assert "PS3.18" in results[check]["message"]


def test_the_issue_case_percent_encoded_name_finds_nothing(refsut: Callable[..., Any], run_checks: RunChecks) -> None:
    sut = refsut(defects={"dicomweb-no-percent-decoding"})
    message = run_checks(["imaging.qido.percent_decoding"], sut.target_path)["imaging.qido.percent_decoding"]["message"]
    assert "PatientName=TEST%5EALICE does not find study" in message


def _edited(target: Path, out: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    doc = yaml.safe_load(target.read_text("utf-8"))
    doc["tls"]["ca_file"] = str(target.parent / doc["tls"]["ca_file"])
    edit(doc)
    out.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return out


def test_missing_target_keys_are_errors_naming_them(clean_sut: Any, run_checks: RunChecks, tmp_path: Path) -> None:
    no_study = _edited(
        clean_sut.target_path,
        tmp_path / "a.yaml",
        lambda d: (d["data"].pop("dicom_study"), d.update(data_policy="readonly")),
    )
    no_base = _edited(clean_sut.target_path, tmp_path / "b.yaml", lambda d: d["base_urls"].pop("dicomweb"))
    unknown = _edited(
        clean_sut.target_path, tmp_path / "c.yaml", lambda d: d["data"].update(dicom_study="2.25.123456789")
    )
    a = run_checks(["imaging.qido.matching"], no_study)["imaging.qido.matching"]
    b = run_checks(["imaging.wado.instances"], no_base)["imaging.wado.instances"]
    c = run_checks(["imaging.qido.percent_decoding"], unknown)["imaging.qido.percent_decoding"]
    assert (a["verdict"], b["verdict"], c["verdict"]) == ("error", "error", "error")
    assert "data.dicom_study" in a["message"] and "data_policy: create" in a["message"]
    assert "dicomweb" in b["message"]
    assert "finds no study 2.25.123456789" in c["message"]


def test_a_read_only_target_stores_nothing(clean_sut: Any, run_checks: RunChecks, tmp_path: Path) -> None:
    readonly = _edited(clean_sut.target_path, tmp_path / "ro.yaml", lambda d: d.update(data_policy="readonly"))
    results = run_checks(["imaging.stow.store_then_find", "imaging.qido.matching"], readonly)
    stow = results["imaging.stow.store_then_find"]
    assert stow["verdict"] == "error" and "read-only" in stow["message"], stow
    assert not any(p.endswith("created.json") for p in stow["evidence"])  # it did not run
    assert results["imaging.qido.matching"]["verdict"] == "passed"  # reading is allowed


QUERY_CHECKS = [c for c in IMAGING_CHECKS if c != "imaging.stow.store_then_find"]


def _no_study(clean_sut: Any, tmp_path: Path) -> Path:
    """The reference SUT's target, allowed to write, naming no study to query."""
    return _edited(
        clean_sut.target_path,
        tmp_path / "create.yaml",
        lambda d: (d["data"].pop("dicom_study"), d.update(data_policy="create")),
    )


def test_a_target_naming_no_study_gets_one_stored_with_stow_and_removed_after(
    clean_sut: Any, run_checks: RunChecks, tmp_path: Path
) -> None:
    target = _no_study(clean_sut, tmp_path)
    results = run_checks(QUERY_CHECKS, target)
    assert {c: r["verdict"] for c, r in results.items()} == dict.fromkeys(QUERY_CHECKS, "passed"), {
        c: r["message"] for c, r in results.items()
    }
    run = tmp_path / "run-0"
    cleanup = json.loads((run / "run.json").read_text("utf-8"))["cleanup"]
    assert cleanup["created"] == cleanup["removed"] == 1, cleanup  # one study for every check, removed
    exchanges = [json.loads((run / p).read_text("utf-8")) for r in results.values() for p in r["evidence"]]
    stored = [e for e in exchanges if e.get("request", {}).get("method") == "POST" and e["response"]["status"] == 200]
    assert len(stored) == 1  # stored once, by the first check that asked
    uid = json.loads(stored[0]["response"]["body"])["00081199"]["Value"][0]["00081190"]["Value"][0].split("/")[-5]
    # the clean-up removed it: QIDO-RS no longer finds it
    again = run_checks(
        ["imaging.qido.matching"], _edited(target, tmp_path / "named.yaml", lambda d: d["data"].update(dicom_study=uid))
    )
    assert f"finds no study {uid}" in again["imaging.qido.matching"]["message"]


def test_a_stored_study_still_shows_the_defects(
    refsut: Callable[..., Any], run_checks: RunChecks, tmp_path: Path
) -> None:
    sut = refsut(defects={"dicomweb-qido-ignores-key"})
    results = run_checks(QUERY_CHECKS, _no_study(sut, tmp_path))
    failed = {c for c, r in results.items() if r["verdict"] == "failed"}
    assert failed == {"imaging.qido.matching"}, {c: r["message"] for c, r in results.items()}
