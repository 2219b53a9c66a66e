"""`homolog lint TARGET -r REF`: what a run would find missing in the target, before it runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from engine_support import requirement, write_referential

from homolog.cli import main


def _edited(target: Path, out: Path, edit: Any) -> Path:
    doc = yaml.safe_load(target.read_text("utf-8"))
    doc["tls"]["ca_file"] = str(target.parent / doc["tls"]["ca_file"])
    edit(doc)
    out.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return out


def test_a_target_declaring_everything_lints_clean(clean_sut: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(clean_sut.target_path), "-r", "imagerie"]) == 0
    out = capsys.readouterr().out
    assert "9 case(s) to run; 0 would end in error" in out


def test_missing_declarations_are_listed_per_case(
    clean_sut: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def edit(doc: dict[str, Any]) -> None:
        doc["data"].pop("dicom_study")
        doc["data_policy"] = "readonly"

    target = _edited(clean_sut.target_path, tmp_path / "t.yaml", edit)
    assert main(["lint", str(target), "-r", "imagerie"]) == 101  # the run would be incomplete
    out = capsys.readouterr().out
    assert (
        "IMG-DW-02 (imaging.qido.matching): error before it runs: the target does not declare data.dicom_study" in out
    )
    assert (
        "IMG-DW-08 (imaging.stow.store_then_find): error before it runs: the target does not declare data_policy" in out
    )
    assert "9 case(s) to run; 9 would end in error" in out


def test_wrong_files_are_refused_naming_them(
    clean_sut: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lint", str(tmp_path / "none.yaml"), "-r", "imagerie"]) == 1
    assert "none.yaml" in capsys.readouterr().err
    assert main(["lint", str(clean_sut.target_path), "-r", "no-such-referential"]) == 1
    assert "no-such-referential" in capsys.readouterr().err


def test_a_read_only_target_makes_writing_requirements_not_applicable_only_where_they_say_so(
    clean_sut: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = write_referential(
        tmp_path / "r.yaml",
        [
            requirement("R.create", "imaging.stow.store_then_find", applies_to={"data_policy": ["create"]}),
            requirement("R.always", "imaging.stow.store_then_find"),
        ],
        id="readonly-test",
    )
    target = _edited(clean_sut.target_path, tmp_path / "t.yaml", lambda d: d.update(data_policy="readonly"))
    assert main(["lint", str(target), "-r", str(ref)]) == 101
    out = capsys.readouterr().out
    assert "R.create: not applicable:" in out and "read-only" in out
    assert "R.always (imaging.stow.store_then_find): error before it runs" in out
    # the run says the same
    assert main(["run", "-r", str(ref), "-t", str(target), "--out", str(tmp_path / "run"), "--report", ""]) == 101
    doc = json.loads((tmp_path / "run" / "run.json").read_text("utf-8"))
    verdicts = {r["id"]: r["verdict"] for r in doc["requirements"]}
    assert verdicts == {"R.create": "not_applicable", "R.always": "error"}
