"""The synthetic runs behind the report tests are what the engine writes: schema-valid."""

from __future__ import annotations

import json
from pathlib import Path

from synthrun import XSS_PAYLOADS, SynthCheck, SynthReq, build_run, demo_requirements

from homolog.runfile import read_run, validate_run


def test_demo_run_passes_the_published_schema(tmp_path: Path) -> None:
    run = build_run(tmp_path / "run", demo_requirements())
    assert validate_run(json.loads((run / "run.json").read_text("utf-8"))) == []
    assert {r.shown for r in read_run(run).requirements} == {
        "failed",
        "passed",
        "error",
        "waived",
        "attested",
        "not_applicable",
        "manual",
        "skipped",
    }


def test_hostile_and_deselected_runs_pass_the_schema(tmp_path: Path) -> None:
    reqs = [
        SynthReq(f"X.{i}", "failed", title=p, checks=[SynthCheck("x.y", "failed", p)])
        for i, p in enumerate(XSS_PAYLOADS)
    ]
    reqs.append(SynthReq("X.left", "deselected", checks=[SynthCheck("x.y", "deselected")]))
    run = build_run(tmp_path / "run", reqs)
    assert validate_run(json.loads((run / "run.json").read_text("utf-8"))) == []
    assert read_run(run).summary.deselected.requirements == ("X.left",)
