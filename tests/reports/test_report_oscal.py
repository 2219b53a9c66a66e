"""OSCAL assessment results (`homolog report --format oscal`), validated with compliance-trestle's models."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from pydantic import ValidationError
from synthrun import SynthCheck, SynthReq, build_run, demo_requirements
from trestle.oscal import OSCAL_VERSION
from trestle.oscal.assessment_results import AssessmentResults

from homolog.reports import render
from homolog.reports.oscal import OSCAL_VERSION as WRITTEN_VERSION
from homolog.reports.oscal import control_id


def _render(tmp_path: Path, reqs: list[SynthReq] | None = None) -> tuple[Path, dict[str, Any]]:
    run = build_run(tmp_path / "run", reqs if reqs is not None else demo_requirements())
    path = render(run, ["oscal"])["oscal"]
    return path, json.loads(path.read_text("utf-8"))


def _validated(doc: dict[str, Any]) -> AssessmentResults:
    return AssessmentResults.model_validate(doc["assessment-results"])


def _props(element: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in element.get("props", [])}


def test_the_document_is_valid_oscal_assessment_results(tmp_path: Path) -> None:
    _, doc = _render(tmp_path)
    model = _validated(doc)
    assert WRITTEN_VERSION == OSCAL_VERSION == doc["assessment-results"]["metadata"]["oscal-version"]
    assert len(model.results) == 1


def test_trestle_refuses_what_is_not_oscal(tmp_path: Path) -> None:
    """The validation above can fail: the same document broken in three ways is refused."""
    _, doc = _render(tmp_path)
    result = doc["assessment-results"]["results"][0]
    for breakage in (
        lambda r: r.pop("reviewed-controls"),
        lambda r: r["findings"][0]["target"]["status"].update(state="compliant"),
        lambda r: r["observations"][0].update(methods=[]),
    ):
        broken = json.loads(json.dumps(doc))
        breakage(broken["assessment-results"]["results"][0])
        with pytest.raises(ValidationError):
            _validated(broken)
    assert result["findings"]


def test_findings_per_requirement_with_honest_states(tmp_path: Path) -> None:
    _, doc = _render(tmp_path)
    result = doc["assessment-results"]["results"][0]
    findings = {_props(f)["requirement-id"]: f for f in result["findings"]}
    # not applicable: excluded from the reviewed controls, no finding
    assert set(findings) == {
        "SSI/IAM.92",
        "MSS/CONF.01",
        "DMP/HISTO.03",
        "SSI/IE.39",
        "INS/va1.05",
        "SSI/IAM.80",
        "SSI/IE.48",
    }
    states = {rid: (f["target"]["status"]["state"], f["target"]["status"]["reason"]) for rid, f in findings.items()}
    assert states == {
        "SSI/IAM.92": ("not-satisfied", "fail"),
        "MSS/CONF.01": ("satisfied", "pass"),
        "DMP/HISTO.03": ("not-satisfied", "other"),  # error: not decided, never satisfied
        "SSI/IE.39": ("not-satisfied", "fail"),  # waived: still a failure, and a risk
        "INS/va1.05": ("satisfied", "pass"),  # attested
        "SSI/IAM.80": ("not-satisfied", "other"),  # manual, awaiting its attestation
        "SSI/IE.48": ("not-satisfied", "other"),  # skipped
    }
    assert _props(findings["SSI/IE.39"])["verdict"] == "waived"
    assert findings["SSI/IAM.92"]["target"]["target-id"] == control_id("SSI/IAM.92") == "SSI_IAM.92"
    selection = result["reviewed-controls"]["control-selections"][0]
    assert selection["exclude-controls"] == [{"control-id": "PSC.08"}]
    assert "PSC.08: not applicable (module psc non déclaré par la cible)" in selection["remarks"]
    (risk,) = result["risks"]
    assert risk["status"] == "deviation-approved" and "RSSI (Mme Exemple)" in risk["statement"]
    assert findings["SSI/IE.39"]["related-risks"] == [{"risk-uuid": risk["uuid"]}]


def test_observations_link_evidence_with_hashes_that_match_the_files(tmp_path: Path) -> None:
    path, doc = _render(tmp_path)
    ar = doc["assessment-results"]
    result = ar["results"][0]
    resources = {r["uuid"]: r for r in ar["back-matter"]["resources"]}
    observations = {o["uuid"]: o for o in result["observations"]}
    findings = {_props(f)["requirement-id"]: f for f in result["findings"]}
    related = [observations[r["observation-uuid"]] for r in findings["SSI/IAM.92"]["related-observations"]]
    assert [o["methods"] for o in related] == [["TEST"]] * len(related)
    assert _props(related[0])["verdict"] == "failed" and "10 échecs" in related[0]["description"]
    checked = 0
    for obs in result["observations"]:
        for ev in obs.get("relevant-evidence", []):
            resource = resources[ev["href"].removeprefix("#")]
            (link,) = resource["rlinks"]
            file = (path.parent / unquote(link["href"])).resolve()
            assert file.is_file(), link["href"]
            assert link["hashes"] == [{"algorithm": "SHA-256", "value": hashlib.sha256(file.read_bytes()).hexdigest()}]
            assert _props(resource)["size"] == str(file.stat().st_size)
            checked += 1
    assert checked >= 6
    attestation = next(o for o in result["observations"] if o["methods"] == ["EXAMINE"])
    assert attestation["uuid"] in {r["observation-uuid"] for r in findings["INS/va1.05"]["related-observations"]}


def test_the_referential_is_the_assessment_plan_source(tmp_path: Path) -> None:
    _, doc = _render(tmp_path)
    ar = doc["assessment-results"]
    plan = next(r for r in ar["back-matter"]["resources"] if "#" + r["uuid"] == ar["import-ap"]["href"])
    props = _props(plan)
    assert (props["referential-id"], props["referential-version"]) == ("segur-dpi", "1.0.0")
    assert props["referential-sha256"] == "0" * 64
    assert plan["document-ids"] == [{"scheme": "urn:homolog:referential", "identifier": "segur-dpi@1.0.0"}]


def test_same_run_same_document_and_odd_ids_stay_tokens(tmp_path: Path) -> None:
    reqs = [
        SynthReq("1.2 accès/élevé", "passed", checks=[SynthCheck("a.b.c", "passed")]),
        SynthReq("1.2 accès?élevé", "failed", checks=[SynthCheck("a.b.c", "failed", "non")]),
        SynthReq("X", "deselected", checks=[SynthCheck("a.b.c", "deselected")]),
    ]
    path, doc = _render(tmp_path, reqs)
    again = render(tmp_path / "run", ["oscal"])["oscal"]
    assert json.loads(again.read_text("utf-8")) == doc  # deterministic UUIDs
    _validated(doc)
    result = doc["assessment-results"]["results"][0]
    ids = [f["target"]["target-id"] for f in result["findings"]]
    assert ids == ["_1.2_accès_élevé", "_1.2_accès_élevé_2"]  # tokens, distinct
    assert result["reviewed-controls"]["control-selections"][0]["exclude-controls"] == [{"control-id": "X"}]
    assert path.name == "oscal-assessment-results.json"


def test_homolog_report_format_oscal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from homolog.cli import main

    run = build_run(tmp_path / "run", demo_requirements())
    assert main(["report", str(run), "--format", "oscal"]) == 0
    assert "oscal: " in capsys.readouterr().out
    _validated(json.loads((run / "reports" / "oscal-assessment-results.json").read_text("utf-8")))
