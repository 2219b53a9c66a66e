"""Referential diff: added, removed, changed requirements and the run verdicts made stale."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from homolog.errors import RunError
from homolog.refdiff import compare, diff_referentials, stale_verdicts
from homolog.referential import load_referential
from homolog.runfile import ReferentialInfo, RunDocument, RunRequirement, TargetInfo, summarise_requirements
from homolog.verdicts import Verdict, run_status


def _req(rid: str, **extra: Any) -> dict[str, Any]:
    req: dict[str, Any] = {
        "id": rid,
        "title": f"Exigence {rid}",
        "text": {"fr": f"Le système fait {rid}.", "en": f"The system does {rid}."},
        "level": "exigence",
        "family": "securite",
        "source": {"document": "REM", "section": "SSI", "version": "1"},
        "checks": [{"check": "security.headers.hsts", "with": {"min_max_age": 31536000}}],
    }
    req.update(extra)
    return req


def _ref(version: str, requirements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "format": "homolog.referential/1",
        "id": "demo-prog",
        "version": version,
        "title": "Programme de démonstration",
        "publisher": "homolog",
        "date": "2026-11-22",
        "requirements": requirements,
    }


OLD = _ref(
    "1.0.0",
    [
        _req("A.01"),
        _req("A.02"),
        _req("A.03"),
        _req("A.04"),
        _req("A.05"),
        _req("A.06", applies_to={"modules": ["dmp"]}),
    ],
)
NEW = _ref(
    "1.1.0",
    [
        _req("A.01"),  # unchanged
        # removed: A.02
        _req("A.03", text={"fr": "Le système fait autre chose.", "en": "Something else."}),
        _req("A.04", level="preconisation", title="Nouveau titre"),  # verdict still valid
        _req("A.05", checks=[{"check": "security.headers.hsts", "with": {"min_max_age": 600}}]),
        _req("A.06", applies_to={"modules": ["dmp", "mss"]}),
        _req("A.07"),  # added
    ],
)


@pytest.fixture
def versions(tmp_path: Path) -> tuple[Path, Path]:
    old = tmp_path / "demo-prog-1.0.0.yaml"
    new = tmp_path / "demo-prog-1.1.0.yaml"
    old.write_text(yaml.safe_dump(OLD, allow_unicode=True), "utf-8")
    new.write_text(yaml.safe_dump(NEW, allow_unicode=True), "utf-8")
    return old, new


def test_diff_of_loaded_referentials(versions: tuple[Path, Path]) -> None:
    old, new = (load_referential(p) for p in versions)
    diff = diff_referentials(old, new)
    assert diff.old_ref == "demo-prog@1.0.0"
    assert diff.new_ref == "demo-prog@1.1.0"
    assert diff.added == ("A.07",)
    assert diff.removed == ("A.02",)
    changed = {c.id: c for c in diff.changed}
    assert sorted(changed) == ["A.03", "A.04", "A.05", "A.06"]
    assert changed["A.03"].fields == ("text",)
    assert changed["A.04"].fields == ("title", "level")
    assert changed["A.05"].fields == ("checks",)
    assert changed["A.06"].fields == ("applies_to",)
    assert [c.id for c in diff.changed if c.stale] == ["A.03", "A.05", "A.06"]


def test_models_and_yaml_mappings_give_the_same_diff(versions: tuple[Path, Path]) -> None:
    from_models = diff_referentials(*(load_referential(p) for p in versions))
    from_dicts = diff_referentials(OLD, NEW)
    assert from_models.to_json() == from_dicts.to_json()


def test_same_version_has_no_difference() -> None:
    diff = diff_referentials(OLD, OLD)
    assert diff.empty
    assert "no requirement added, removed or changed" in diff.to_text()


def test_check_change_is_described_per_check() -> None:
    new = _ref(
        "2.0.0",
        [
            _req(
                "A.01",
                checks=[
                    {"check": "security.headers.hsts", "with": {"min_max_age": 60}},
                    {"check": "security.tls.minimum_version"},
                ],
            )
        ],
    )
    diff = diff_referentials(_ref("1.0.0", [_req("A.01")]), new)
    (change,) = diff.changed[0].changes
    assert change.describe() == ("checks: +security.tls.minimum_version, security.headers.hsts parameters changed")


def test_mode_change_from_checks_to_attestation_is_stale() -> None:
    manual = _req("A.01", attestation={"evidence": "Capture d'écran"})
    del manual["checks"]
    diff = diff_referentials(_ref("1.0.0", [_req("A.01")]), _ref("1.0.1", [manual]))
    assert set(diff.changed[0].fields) == {"mode", "checks", "attestation"}
    assert diff.changed[0].stale


def _run(version: str) -> RunDocument:
    verdicts = {"A.01": "passed", "A.02": "failed", "A.03": "passed", "A.04": "passed"}
    verdicts |= {"A.05": "failed", "A.06": "not_applicable"}
    reqs = [
        RunRequirement(
            id=k,
            title=f"title of {k}",
            text={"fr": f"texte de {k}", "en": None},
            level="exigence",
            source={"document": "demo"},
            origin=f"demo-prog@{version}",
            kind="automated",
            verdict=Verdict(v),
        )
        for k, v in verdicts.items()
    ]
    return RunDocument(
        run_id="run-1",
        status=run_status(verdicts.values()),
        started=None,
        finished="2026-11-22T10:05:00+00:00",
        referential=ReferentialInfo("demo-prog", version, "Demo programme", "00" * 32),
        target=TargetInfo("demo system", "1", {"web": "https://127.0.0.1:8443"}),
        tool={"homolog": "0.1.0", "python": "3.11", "pytest": "9.1"},
        summary=summarise_requirements(reqs),
        requirements=tuple(reqs),
    )


def test_stale_verdicts_of_a_run_on_the_old_version() -> None:
    diff = diff_referentials(OLD, NEW)
    stale = {s.requirement: s for s in stale_verdicts(diff, _run("1.0.0"))}
    assert sorted(stale) == ["A.02", "A.03", "A.05", "A.06", "A.07"]
    assert stale["A.02"].reasons == ("requirement removed",)
    assert stale["A.02"].verdict == "failed"
    assert stale["A.03"].reasons == ("text: statement reworded",)
    assert stale["A.05"].reasons == ("checks: security.headers.hsts parameters changed",)
    assert stale["A.06"].verdict == "not_applicable"
    assert stale["A.07"].verdict is None
    text = diff.to_text(stale.values())
    assert "stale verdicts in the run (5):" in text
    assert "~ A.04  (verdicts still valid)" in text


def test_a_run_on_the_new_version_has_nothing_stale() -> None:
    assert stale_verdicts(diff_referentials(OLD, NEW), _run("1.1.0")) == []


def test_a_run_on_another_version_is_refused() -> None:
    with pytest.raises(RunError, match=r"demo-prog@0\.9\.0"):
        stale_verdicts(diff_referentials(OLD, NEW), _run("0.9.0"))


def test_a_run_without_referential_is_refused_by_the_reader(versions: tuple[Path, Path], tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    doc = _run("1.0.0").to_json()
    del doc["referential"]
    (run_dir / "run.json").write_text(json.dumps(doc), "utf-8")
    with pytest.raises(RunError, match="<root>: 'referential' is a required property"):
        compare(*versions, run_dir=run_dir)


def test_json_form_round_trips() -> None:
    diff = diff_referentials(OLD, NEW)
    data = json.loads(json.dumps(diff.to_json()))
    assert data["format"] == "homolog.refdiff/1"
    assert data["added"] == ["A.07"] and data["removed"] == ["A.02"]
    a05 = next(c for c in data["changed"] if c["id"] == "A.05")
    assert a05["stale"] is True
    assert a05["changes"][0]["new"] == [{"check": "security.headers.hsts", "params": {"min_max_age": 600}}]


def test_compare_renders_text_and_json_with_a_run(versions: tuple[Path, Path], tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "run.json").write_text(json.dumps(_run("1.0.0").to_json()), "utf-8")
    text = compare(*versions, run_dir=run_dir)
    assert text.startswith("referential diff demo-prog@1.0.0 -> demo-prog@1.1.0\n")
    assert "  ! A.02 [failed]: requirement removed" in text
    doc = json.loads(compare(*versions, run_dir=run_dir, as_json=True))
    assert [s["requirement"] for s in doc["stale"]] == ["A.02", "A.03", "A.05", "A.06", "A.07"]
    assert "stale" not in json.loads(compare(*versions, as_json=True))


def test_compare_names_a_missing_run(versions: tuple[Path, Path], tmp_path: Path) -> None:
    with pytest.raises(RunError, match=r"is .* a run directory"):
        compare(*versions, run_dir=tmp_path / "nowhere")
