"""Ségur DPI 2.3.0 and dmp 1.1.0: CDA/VISU.01 and DMP/CONS.01 checked instead of attested,
nothing else moved (same ids, texts, sources and unconfirmed ids)."""

from __future__ import annotations

from pathlib import Path

from homolog.referential import Referential, load_referential

REFERENTIALS = Path(__file__).resolve().parents[2] / "referentials"
NEWLY_CHECKED = {"CDA/VISU.01": ("documents.display.received_cda",), "DMP/CONS.01": ("dmp.consult.from_record",)}


def _load(programme: str, version: str) -> Referential:
    return load_referential(REFERENTIALS / programme / f"{programme}-{version}.yaml")


def test_dpi_2_3_0_checks_display_and_consultation_and_changes_nothing_else() -> None:
    before = {r.id: r for r in _load("segur-dpi", "2.2.0").requirements}
    after = {r.id: r for r in _load("segur-dpi", "2.3.0").requirements}
    assert set(after) == set(before)
    for rid, checks in NEWLY_CHECKED.items():
        assert before[rid].kind == "manual"
        assert after[rid].kind == "automated"
        assert tuple(c.check for c in after[rid].checks) == checks
    for rid, req in after.items():
        assert (req.text, req.title, req.source) == (before[rid].text, before[rid].title, before[rid].source), rid
        if rid not in NEWLY_CHECKED:
            assert req.checks == before[rid].checks, rid
    assert after["DMP/CONS.01"].origin == "dmp@1.1.0"
    assert after["CDA/VISU.01"].origin == "segur-dpi@2.3.0"
    assert after["DMP/CONS.01"].source.to_confirm


def test_dmp_1_1_0_differs_from_1_0_0_by_the_consultation_check_only() -> None:
    before = {r.id: r for r in _load("dmp", "1.0.0").requirements}
    after = {r.id: r for r in _load("dmp", "1.1.0").requirements}
    assert set(after) == set(before)
    changed = {rid for rid, r in after.items() if r.checks != before[rid].checks or r.kind != before[rid].kind}
    assert changed == {"DMP/CONS.01"}
