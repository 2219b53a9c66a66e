"""The run format: `assemble_run` is pure and schema-valid; the one reader refuses what is not a run."""

from __future__ import annotations

import builtins
import copy
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from engine_support import requirement, write_referential

from homolog.attest import Waiver
from homolog.plan import RunPlan, build_plan
from homolog.referential import load_referential
from homolog.runfile import (
    RUN_FORMAT,
    ReviewedAttestation,
    RunDocument,
    RunFormatError,
    assemble_run,
    parse_run,
    read_run,
    validate_run,
)
from homolog.target import Target, load_target
from homolog.verdicts import RunStatus, Verdict

NOW = dt.datetime(2026, 11, 22, 10, 5, tzinfo=dt.UTC)


@pytest.fixture
def target(tmp_path: Path) -> Target:
    path = tmp_path / "target.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "format": "homolog.target/1",
                "system": {"name": "paper system", "version": "2"},
                "base_urls": {"web": "https://127.0.0.1:9"},
                "auth": {"api": {"type": "bearer", "token_env": "PAPER_TOKEN"}},
                "options": {"modules": ["dmp"]},
            }
        )
    )
    return load_target(path)


@pytest.fixture
def plan(tmp_path: Path, target: Target) -> RunPlan:
    ref = write_referential(
        tmp_path / "ref.yaml",
        [
            requirement("R.pass", "x.pass"),
            requirement("R.fail", "x.fail"),
            requirement("R.waived", "x.fail"),
            requirement("R.expired", "x.fail"),
            requirement("R.interrupted", "x.never"),
            requirement("R.deselected", "x.left_out"),
            requirement("R.partial", checks=[{"check": "x.fail"}, {"check": "x.left_out"}]),
            requirement("R.partial_pass", checks=[{"check": "x.pass"}, {"check": "x.left_out"}]),
            requirement("R.na", "x.pass", applies_to={"modules": ["psc"]}),
            requirement("R.attested", attestation={"evidence": "une capture"}),
            requirement("R.refused", attestation={"evidence": "une autre capture"}),
            requirement("R.manual", attestation={"evidence": "rien encore"}),
            requirement("R.nottested", not_tested="hors périmètre"),
        ],
    )
    titles = {"x.pass": "It passes.", "x.fail": "It fails."}
    return build_plan(load_referential(ref), target, lambda c: titles.get(c, c))


def _result(case_key: str, verdict: str, message: str | None = None) -> dict[str, Any]:
    return {
        "key": case_key,
        "verdict": verdict,
        "message": message,
        "evidence": [f"evidence/{hashlib.sha1(case_key.encode()).hexdigest()[:8]}/01-http.json"],
        "started": "2026-11-22T10:00:00.000+00:00",
        "duration": 0.25,
    }


def _inputs(plan: RunPlan, target: Target) -> dict[str, Any]:
    results, deselected = {}, []
    for case in plan.cases:
        if case.ref.check == "x.pass":
            results[case.key] = _result(case.key, "passed")
        elif case.ref.check == "x.fail":
            results[case.key] = _result(case.key, "failed", "the SUT said no")
        elif case.ref.check == "x.left_out":
            deselected.append(case.key)
    return {
        "target": target.describe(),
        "results": results,
        "tool": {"homolog": "0.1.0", "python": "3.11.7", "pytest": "9.1.1"},
        "now": NOW,
        "run_id": "run-1",
        "started": "2026-11-22T10:00:00.000+00:00",
        "attestations": {
            "R.attested": ReviewedAttestation(
                {"file": "evidence/attestations/R.attested--proof.pdf", "sha256": "a" * 64, "author": "QA"}, None
            ),
            "R.refused": ReviewedAttestation({"file": None, "sha256": "b" * 64}, "attestation expired on 2026-01-01"),
        },
        "waivers": {
            "R.waived": Waiver("R.waived", "fix planned", "RSSI", "2027-01-01"),
            "R.expired": Waiver("R.expired", "fix planned", "RSSI", "2026-01-01"),
        },
        "deselected": deselected,
        "selection": "-k 'not left_out'",
    }


def test_assemble_run_is_pure(plan: RunPlan, target: Target, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = _inputs(plan, target)
    before = copy.deepcopy({k: v for k, v in inputs.items() if k != "attestations"})

    def no_io(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"assemble_run opened a file: {args[:1]}")

    monkeypatch.setattr(builtins, "open", no_io)
    monkeypatch.setattr(Path, "open", no_io)
    first = assemble_run(plan, **inputs)
    second = assemble_run(plan, **inputs)
    monkeypatch.undo()
    assert first == second
    assert first.to_json() == second.to_json()
    assert {k: v for k, v in inputs.items() if k != "attestations"} == before  # inputs untouched
    assert first.finished == "2026-11-22T10:05:00.000+00:00"  # the clock given, not the machine's


def test_assembled_document_validates_and_says_every_outcome(plan: RunPlan, target: Target) -> None:
    doc = assemble_run(plan, **_inputs(plan, target))
    data = doc.to_json()
    assert data["format"] == RUN_FORMAT
    assert validate_run(data) == []
    got = {r.id: (r.shown, r.reason) for r in doc.requirements}
    assert got["R.pass"] == ("passed", None)
    assert got["R.fail"] == ("failed", None)
    assert got["R.waived"] == ("waived", None)
    assert got["R.expired"] == ("failed", "waiver expired on 2026-01-01")
    assert got["R.interrupted"][0] == "skipped"
    assert doc.requirement("R.interrupted").checks[0].message == "not run: the session ended before this case ran"
    assert got["R.deselected"] == (
        "deselected",
        "not run: 1 of 1 check(s) deselected by -k 'not left_out' for this session",
    )
    assert got["R.partial"] == ("failed", None)  # a failure is final whatever the deselected part says
    assert got["R.partial_pass"][0] == "deselected"  # a pass is not: the other check could fail
    assert got["R.na"][0] == "not_applicable" and "options.modules" in (got["R.na"][1] or "")
    assert got["R.attested"] == ("attested", None)
    assert got["R.refused"] == ("manual", "attestation expired on 2026-01-01")
    assert got["R.manual"] == ("manual", "awaiting attestation")
    assert got["R.nottested"] == ("skipped", "not tested: hors périmètre")
    assert doc.requirement("R.pass").checks[0].title == "It passes."
    assert doc.requirement("R.attested").attestation == {
        "evidence_expected": {"fr": "une capture", "en": None},
        "proofs_expected": [],
        "file": "evidence/attestations/R.attested--proof.pdf",
        "sha256": "a" * 64,
        "author": "QA",
    }
    # deselected: listed, counted nowhere, and the run cannot be called compliant
    assert doc.summary.deselected.requirements == ("R.deselected", "R.partial_pass")
    assert doc.summary.deselected.checks == 3
    assert sum(doc.summary.requirements.values()) == len(doc.requirements) - 2
    assert doc.status == RunStatus.NON_COMPLIANT
    assert data["target"]["auth"] == {"api": {"type": "bearer", "token_env": "PAPER_TOKEN"}}


def test_deselection_alone_makes_a_run_incomplete(plan: RunPlan, target: Target) -> None:
    inputs = _inputs(plan, target)
    keep = {"R.pass", "R.deselected", "R.na"}
    small = RunPlan(plan.referential, tuple(p for p in plan if p.requirement.id in keep))
    doc = assemble_run(small, **inputs)
    assert [r.shown for r in doc.requirements] == ["passed", "deselected", "not_applicable"]
    assert doc.status == RunStatus.INCOMPLETE


def test_the_document_round_trips_through_the_reader(plan: RunPlan, target: Target, tmp_path: Path) -> None:
    doc = assemble_run(plan, **_inputs(plan, target))
    (tmp_path / "run.json").write_text(json.dumps(doc.to_json()), "utf-8")
    assert read_run(tmp_path) == doc


# --------------------------------------------------------------------------- the reader refuses


def _valid(plan: RunPlan, target: Target) -> dict[str, Any]:
    return assemble_run(plan, **_inputs(plan, target)).to_json()


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda d: d.update(format="homolog.run/9"), "format is 'homolog.run/9', expected 'homolog.run/2'"),
        (lambda d: d.pop("summary"), "<root>: 'summary' is a required property"),
        (lambda d: d["requirements"][0].update(verdict="great"), "requirements[0].verdict: 'great' is not one of"),
        (lambda d: d["requirements"][0].update(verdict=None), "requirements[0].verdict: None should not be valid"),
        (
            lambda d: d["requirements"][0]["checks"][0].update(evidence=["/etc/passwd"]),
            "requirements[0].checks[0].evidence[0]: '/etc/passwd' does not match '^evidence/'",
        ),
        (lambda d: d["referential"].update(sha256="nope"), "referential.sha256: 'nope' does not match"),
        (lambda d: d["summary"]["requirements"].update(great=1), "summary.requirements: 'great' is not one of"),
    ],
    ids=["format", "missing-key", "unknown-verdict", "null-verdict-not-deselected", "evidence", "sha", "counts"],
)
def test_the_reader_refuses_invalid_documents_naming_file_and_key(
    plan: RunPlan, target: Target, tmp_path: Path, spoil: Any, message: str
) -> None:
    data = _valid(plan, target)
    spoil(data)
    (tmp_path / "run.json").write_text(json.dumps(data), "utf-8")
    with pytest.raises(RunFormatError) as info:
        read_run(tmp_path)
    assert str(tmp_path / "run.json") in str(info.value)
    assert message in str(info.value)


def test_the_reader_refuses_what_is_not_json_or_not_there(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(RunFormatError, match=r"cannot read run\.json \(not found\)"):
        read_run(tmp_path)
    (tmp_path / "run.json").write_text("{nope", "utf-8")
    with pytest.raises(RunFormatError, match="not valid JSON"):
        read_run(tmp_path)
    (tmp_path / "run.json").write_text("[]", "utf-8")
    with pytest.raises(RunFormatError, match="expected a JSON object at the top level"):
        read_run(tmp_path)
    monkeypatch.setattr("homolog.runfile.MAX_RUN_JSON_BYTES", 1)
    with pytest.raises(RunFormatError, match="larger than the 1 limit"):
        read_run(tmp_path)


def test_a_v1_document_is_read_with_nothing_deselected(plan: RunPlan, target: Target) -> None:
    data = _valid(plan, target)
    old = copy.deepcopy(data)
    old["format"] = "homolog.run/1"
    del old["summary"]["deselected"]
    old["requirements"] = [r for r in old["requirements"] if not r["deselected"]]
    for r in old["requirements"]:
        del r["deselected"]
        r["checks"] = [{k: v for k, v in c.items() if k != "deselected"} for c in r["checks"] if not c["deselected"]]
    doc = parse_run(old)
    assert isinstance(doc, RunDocument) and doc.format == RUN_FORMAT
    assert doc.summary.deselected.requirements == ()
    assert doc.requirement("R.pass").verdict == Verdict.PASSED


def test_finalize_assembles_the_plan_it_is_given(plan: RunPlan, target: Target, tmp_path: Path) -> None:
    """The run store decides nothing: titles and applicability come from the plan the plugin made."""
    import dataclasses

    from homolog.runstore import RunStore

    store = RunStore(tmp_path / "run")
    store.prepare(plan.referential, target, resume=False)
    first = plan.requirements[0]
    retitled = dataclasses.replace(
        first, cases=tuple(dataclasses.replace(c, title="Said by the plan.") for c in first.cases)
    )
    excluded = dataclasses.replace(plan.requirements[1], not_applicable="excluded by the plan", cases=())
    small = RunPlan(plan.referential, (retitled, excluded))
    store.append(_result(retitled.cases[0].key, "passed"))
    doc = store.finalize(small, target, now=NOW)
    assert [r.id for r in doc.requirements] == ["R.pass", "R.fail"]
    assert doc.requirements[0].checks[0].title == "Said by the plan."
    assert (doc.requirements[1].shown, doc.requirements[1].reason) == ("not_applicable", "excluded by the plan")
    assert read_run(tmp_path / "run") == doc
