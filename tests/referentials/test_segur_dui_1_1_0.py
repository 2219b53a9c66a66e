"""Ségur DUI 1.1.0: the DMP socle moves to dmp 1.1.0 (DMP/CONS.01 checked), nothing else moved."""

from __future__ import annotations

from pathlib import Path

from homolog.referential import Referential, load_referential

REFERENTIALS = Path(__file__).resolve().parents[2] / "referentials"


def _load(version: str) -> Referential:
    return load_referential(REFERENTIALS / "segur-dui" / f"segur-dui-{version}.yaml")


def test_dui_1_1_0_checks_the_dmp_consultation_and_changes_nothing_else() -> None:
    before = {r.id: r for r in _load("1.0.0").requirements}
    after = {r.id: r for r in _load("1.1.0").requirements}
    assert set(after) == set(before)
    assert (before["DMP/CONS.01"].kind, after["DMP/CONS.01"].kind) == ("manual", "automated")
    assert [c.check for c in after["DMP/CONS.01"].checks] == ["dmp.consult.from_record"]
    assert after["DMP/CONS.01"].origin == "dmp@1.1.0"
    for rid, req in after.items():
        assert (req.text, req.title, req.source, req.applies_to) == (
            before[rid].text,
            before[rid].title,
            before[rid].source,
            before[rid].applies_to,
        ), rid
        if rid != "DMP/CONS.01":
            assert (req.checks, req.kind) == (before[rid].checks, before[rid].kind), rid
            assert req.origin == before[rid].origin.replace("segur-dui@1.0.0", "segur-dui@1.1.0").replace(
                "dmp@1.0.0", "dmp@1.1.0"
            ), rid
