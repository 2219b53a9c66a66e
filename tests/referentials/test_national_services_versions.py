"""ins-rniv 1.1.0, segur-dpi 2.1.0 and homolog-demo 1.1.0: the requirements the INSi and DMP
simulators now check moved from attestation to checks; the published versions are untouched."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from homolog.checks import registry
from homolog.refdiff import diff_referentials
from homolog.referential import load_referential

MOVED = {
    ("ins-rniv", "1.0.0", "1.1.0"): {"INS-RNIV-08"},
    ("segur-dpi", "2.0.0", "2.1.0"): {"INS-RNIV-08", "DMP/ALIM.01", "DMP/ALIM.03", "DMP/ALIM.04", "DMP/HISTO.05"},
}


@pytest.mark.parametrize(("ref", "old", "new"), sorted(MOVED))
def test_new_version_moves_exactly_these_requirements_to_checks(ref: str, old: str, new: str) -> None:
    before, after = load_referential(f"{ref}@{old}"), load_referential(f"{ref}@{new}")
    diff = diff_referentials(before, after)
    assert not diff.added and not diff.removed
    changed = {c.id: {f.field: (f.old, f.new) for f in c.changes} for c in diff.changed}
    assert set(changed) == MOVED[(ref, old, new)]
    for rid, fields in changed.items():
        assert fields["mode"] == ("attestation", "checks"), rid
        assert before.requirement(rid).attestation is not None
        assert after.requirement(rid).attestation is None


@pytest.mark.parametrize("spec", ["ins-rniv@1.1.0", "segur-dpi@2.1.0", "homolog-demo@1.1.0"])
def test_every_check_exists_with_valid_parameters(spec: str) -> None:
    for req in load_referential(spec).requirements:
        for use in req.checks or ():
            registry.get(use.check).validate_params(use.params_json)


@pytest.mark.parametrize("spec", ["homolog-demo@1.1.0", "homolog-demo"])
def test_demo_checks_the_insi_call_and_the_dmp_feeding(spec: str) -> None:
    # from 1.1.0 on, and in the version `homolog demo` runs by default (later versions keep them)
    demo = load_referential(spec)
    for rid in ("INS-RNIV-08", "DMP/ALIM.01", "DMP/ALIM.03", "DMP/ALIM.04", "DMP/HISTO.05", "DMP/HISTO.03"):
        assert demo.requirement(rid).checks, rid
    ids = [r.id for r in demo.requirements]
    assert len(ids) == len(set(ids))
    assert "DMP/CONS.01" not in ids  # still an attestation in the REM: not part of the demo


def test_referential_diff_command_shows_the_move() -> None:
    exe = Path(sys.executable).with_name("homolog")
    out = subprocess.run(
        [str(exe), "referential-diff", "segur-dpi@2.0.0", "segur-dpi@2.1.0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert '~ DMP/ALIM.01\n      mode: "attestation" -> "checks"\n      checks: +dmp.feed.accepted' in out.stdout
