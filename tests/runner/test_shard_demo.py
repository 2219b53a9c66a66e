"""The demo in three shards, merged, gives the verdicts of the demo run at once.

The shards run one after the other against one reference system, as N CI machines run
against one staging system: the same target file for all, which the merge requires.
The unsharded run gets a system of its own (the shards lock its sacrificial account).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from homolog.api import run
from homolog.demo import DEFAULT_REFERENTIAL, environment, started_demo_sut
from homolog.integrity import verify
from homolog.runfile import RunDocument
from homolog.shard import merge_shards, verify_shards


def _verdicts(doc: RunDocument) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    return {r.id: (r.shown, [(c.check, c.shown) for c in r.checks]) for r in doc.requirements}


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_three_merged_shards_of_the_demo_have_the_verdicts_of_the_unsharded_demo(tmp_path: Path) -> None:
    with started_demo_sut(set(), tmp_path / "sut-whole") as demo, environment(demo.env):
        whole = run(DEFAULT_REFERENTIAL, demo.target_path, out=tmp_path / "whole", counterparts=demo.counterparts)
    shards = []
    with started_demo_sut(set(), tmp_path / "sut-shards") as demo, environment(demo.env):
        for k in (1, 2, 3):
            shard = run(
                DEFAULT_REFERENTIAL,
                demo.target_path,
                out=tmp_path / f"shard-{k}",
                counterparts=demo.counterparts,
                shard=f"{k}/3",
            )
            assert shard.document.summary.deselected.selection == f"--shard {k}/3"
            shards.append(shard.run_dir)
    merged = merge_shards(shards, tmp_path / "merged")
    assert _verdicts(merged) == _verdicts(whole.document)
    assert merged.status == whole.document.status
    assert merged.summary.requirements == whole.document.summary.requirements
    assert not merged.summary.deselected.requirements
    assert verify(tmp_path / "merged").ok and verify_shards(tmp_path / "merged") == []
