"""Sharded runs (`homolog run --shard K/N`) and their merge (`homolog merge`) into one run."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from engine_support import ENGINE_TOKEN, requirement, write_engine_target, write_referential

from homolog import Params, check
from homolog.api import run
from homolog.cli import main
from homolog.errors import ConfigError
from homolog.integrity import verify, write_manifest
from homolog.plan import build_plan
from homolog.referential import load_referential
from homolog.runfile import RunDocument, read_run
from homolog.shard import Shard, ShardError, assign, merge_shards, read_shard, verify_shards
from homolog.target import load_target


class StatefulParams(Params):
    attempts: int = 1


@check("engine.shard.stateful", params=StatefulParams, tags=("sacrificial-account",))
def stateful(evidence, params: StatefulParams) -> None:  # type: ignore[no-untyped-def]
    """Uses an account other cases of the check also use (state in the run directory)."""
    evidence.attach_text("account.txt", f"locked after {params.attempts}")


def _referential(tmp_path: Path, *, title: str = "Engine test referential") -> Path:
    two = [{"check": "engine.http.status"}, {"check": "engine.outcome.fail"}]
    return write_referential(
        tmp_path / "ref.yaml",
        [
            requirement("R.pass", "engine.http.status"),
            requirement("R.same-execution", "engine.http.status"),  # same check and parameters as R.pass
            requirement("R.404", "engine.http.status", with_={"path": "/missing"}),
            requirement("R.fail", "engine.outcome.fail"),
            requirement("R.two", checks=two),
            requirement("R.error", "engine.outcome.error"),
            requirement("R.crash", "engine.outcome.crash"),
            requirement("R.skip", "engine.outcome.skip"),
            requirement("R.state1", "engine.shard.stateful"),
            requirement("R.state2", "engine.shard.stateful", with_={"attempts": 2}),  # another execution
            requirement("R.sleep", "engine.outcome.sleep", with_={"seconds": 0.01}),
            requirement("R.na", "engine.outcome.fail", applies_to={"modules": ["psc"]}),
            requirement("R.manual", attestation={"evidence": "une capture d'écran"}),
            requirement("R.attested", attestation={"evidence": "déclaration"}),
            requirement("R.nottested", not_tested="hors périmètre"),
            requirement("R.waived", "engine.outcome.assert"),
            requirement("R.expired", "engine.outcome.fail", with_={}),
        ],
        title=title,
    )


def _decisions(tmp_path: Path) -> dict[str, Path]:
    proof = tmp_path / "proof.pdf"
    proof.write_bytes(b"%PDF-1.4 synthetic proof")
    digest = hashlib.sha256(proof.read_bytes()).hexdigest()
    # R.attested is accepted; R.manual's is refused (wrong hash): both reviews must survive the merge
    reviewed = [
        {
            "requirement": rid,
            "evidence": proof.name,
            "sha256": sha,
            "author": "QA",
            "reviewer": "Audit",
            "date": "2026-11-02",
        }
        for rid, sha in (("R.attested", digest), ("R.manual", "0" * 64))
    ]
    (tmp_path / "att.yaml").write_text(yaml.safe_dump({"format": "homolog.attestations/1", "attestations": reviewed}))
    waivers = [
        {"requirement": "R.waived", "justification": "fix planned", "approver": "RSSI", "expires": "2099-01-01"},
        {"requirement": "R.expired", "justification": "old", "approver": "RSSI", "expires": "2020-01-01"},
    ]
    (tmp_path / "waivers.yaml").write_text(yaml.safe_dump({"format": "homolog.waivers/1", "waivers": waivers}))
    return {"attestations": tmp_path / "att.yaml", "waivers": tmp_path / "waivers.yaml"}


def _comparable(doc: RunDocument) -> list[Any]:
    """What must not depend on sharding: every verdict, message, reason, attestation, waiver and evidence."""
    out = []
    for req in doc.requirements:
        checks = [(c.check, c.shown, c.message, c.params, len(c.evidence)) for c in req.checks]
        out.append((req.id, req.shown, req.reason, req.attestation, req.waiver, checks))
    return out


def _shards(ref: Path, target: Path, tmp_path: Path, n: int, **kw: Any) -> list[Path]:
    dirs = []
    for k in range(1, n + 1):
        result = run(ref, target, out=tmp_path / f"shard-{k}", shard=f"{k}/{n}", **kw)
        dirs.append(result.run_dir)
    return dirs


# --------------------------------------------------------------------------- shares


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "3", "a/b", "-1/2", ""])
def test_a_malformed_shard_spec_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(ShardError, match=r"--shard .*(expected K/N|between 1 and N)"):
        Shard.parse(text)


def test_shares_are_deterministic_balanced_and_keep_executions_and_shared_state_together(
    tmp_path: Path, target_file: Path
) -> None:
    plan = build_plan(load_referential(str(_referential(tmp_path))), load_target(target_file), lambda c: c)
    tags = {"engine.shard.stateful": ("sacrificial-account",)}

    def tags_of(check_id: str) -> tuple[str, ...]:
        return tags.get(check_id, ())

    for n in (1, 2, 3, 5):
        shares = assign(plan.cases, n, tags_of)
        assert shares == assign(plan.cases, n, tags_of)  # the same on every machine
        assert set(shares) == {c.key for c in plan.cases}
        assert set(shares.values()) <= set(range(1, n + 1))
        by_key = {c.key: c for c in plan.cases}
        same = [k for k, c in by_key.items() if c.requirement.id in ("R.pass", "R.same-execution")]
        assert len({shares[k] for k in same}) == 1  # one execution, one shard
        state = [k for k, c in by_key.items() if c.ref.check == "engine.shard.stateful"]
        assert len(state) == 2 and len({shares[k] for k in state}) == 1
        sizes = [list(shares.values()).count(i) for i in range(1, n + 1)]
        assert max(sizes) - min(sizes) <= 2  # the largest unit has two cases


# --------------------------------------------------------------------------- shard runs and their merge


@pytest.fixture(scope="module")
def sharded_once(tmp_path_factory: pytest.TempPathFactory, web_server: str) -> Path:
    """The unsharded run and its three shards, made once: each test gets its own copy."""
    base = tmp_path_factory.mktemp("sharded")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(*ENGINE_TOKEN)
        target = write_engine_target(tmp_path_factory.mktemp("sharded-target") / "target.yaml", web_server)
        ref = _referential(base)
        decisions = _decisions(base)
        run(ref, target, out=base / "whole", **decisions)
        _shards(ref, target, base, 3, **decisions)
    return base


@pytest.fixture
def sharded(sharded_once: Path, tmp_path: Path, target_file: Path) -> dict[str, Any]:
    # a copy per test, laid out in its tmp_path as if made there: some tests alter a shard
    # (a file changed, a resume), none sees another's
    shutil.copytree(sharded_once, tmp_path, dirs_exist_ok=True)
    decisions = {"attestations": tmp_path / "att.yaml", "waivers": tmp_path / "waivers.yaml"}
    shards = [tmp_path / f"shard-{k}" for k in range(1, 4)]
    whole = read_run(tmp_path / "whole")
    return {"ref": tmp_path / "ref.yaml", "whole": whole, "shards": shards, "decisions": decisions}


def test_three_merged_shards_make_the_unsharded_run(sharded: dict[str, Any], tmp_path: Path) -> None:
    whole: RunDocument = sharded["whole"]
    merged = merge_shards(sharded["shards"], tmp_path / "merged")
    assert _comparable(merged) == _comparable(whole)
    assert merged.summary == whole.summary
    assert merged.status == whole.status == "non_compliant"
    assert read_run(tmp_path / "merged") == merged
    # one result line per case, every evidence file at the path run.json names
    lines = (tmp_path / "merged" / "results.jsonl").read_text().splitlines()
    assert len(lines) == whole.summary.total_checks
    for req in merged.requirements:
        for chk in req.checks:
            for rel in chk.evidence:
                assert (tmp_path / "merged" / rel).is_file(), rel
    # sealed over everything, each shard's manifest kept and still matching
    assert verify(tmp_path / "merged").ok
    assert verify_shards(tmp_path / "merged") == []
    for k in (1, 2, 3):
        kept = tmp_path / "merged" / "shards" / str(k)
        assert (kept / "MANIFEST.sha256").read_bytes() == (sharded["shards"][k - 1] / "MANIFEST.sha256").read_bytes()
    session = json.loads((tmp_path / "merged" / "inputs" / "session.json").read_text())
    assert [m["shard"] for m in session["merged_from"]] == ["1/3", "2/3", "3/3"]


def test_a_shard_is_a_complete_run_with_the_other_shares_deselected(sharded: dict[str, Any]) -> None:
    seen: set[str] = set()
    for k, shard_dir in enumerate(sharded["shards"], start=1):
        doc = read_run(shard_dir)
        shard, cases = read_shard(shard_dir) or (None, [])
        assert shard == Shard(k, 3) and cases
        assert not seen & set(cases)
        seen |= set(cases)
        assert doc.status == ("non_compliant" if any(r.verdict == "failed" for r in doc.requirements) else "incomplete")
        assert doc.summary.deselected.selection == f"--shard {k}/3"
        ran = sum(1 for r in doc.requirements for c in r.checks if not c.deselected)
        assert ran == len(cases)
        assert verify(shard_dir).ok
    assert len(seen) == sharded["whole"].summary.total_checks


def test_the_merge_is_the_same_whatever_the_order_of_the_shards(sharded: dict[str, Any], tmp_path: Path) -> None:
    a = merge_shards(sharded["shards"], tmp_path / "a")
    b = merge_shards(list(reversed(sharded["shards"])), tmp_path / "b")
    assert _comparable(a) == _comparable(b)


def test_merge_refuses_what_is_not_the_n_shares_of_one_run(
    sharded: dict[str, Any], tmp_path: Path, target_file: Path
) -> None:
    s1, s2, s3 = sharded["shards"]
    with pytest.raises(ShardError, match=r"shard\(s\) 3/3 missing"):
        merge_shards([s1, s2], tmp_path / "m1")
    copy = tmp_path / "copy-of-2"
    shutil.copytree(s2, copy)
    with pytest.raises(ShardError, match="are both shard 2/3"):
        merge_shards([s1, s2, copy, s3], tmp_path / "m2")
    with pytest.raises(ShardError, match="not a shard"):
        merge_shards([tmp_path / "whole"], tmp_path / "m3")
    (tmp_path / "m4").mkdir()
    (tmp_path / "m4" / "x").write_text("x")
    with pytest.raises(ShardError, match="not empty"):
        merge_shards([s1, s2, s3], tmp_path / "m4")


def test_merge_refuses_a_shard_whose_files_do_not_match_its_manifest(sharded: dict[str, Any], tmp_path: Path) -> None:
    s1, s2, s3 = sharded["shards"]
    evidence = next(p for p in sorted((s2 / "evidence").rglob("*")) if p.is_file())
    evidence.write_bytes(evidence.read_bytes() + b" ")
    with pytest.raises(ShardError, match=r"does not verify against its manifest(.|\n)*changed: evidence/"):
        merge_shards([s1, s2, s3], tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_merge_refuses_a_shard_of_another_homolog_version(sharded: dict[str, Any], tmp_path: Path) -> None:
    s1, s2, s3 = sharded["shards"]
    doc = json.loads((s3 / "run.json").read_text())
    doc["tool"]["homolog"] = "0.0.1"
    (s3 / "run.json").write_text(json.dumps(doc))
    write_manifest(s3)  # a consistent shard, only from another version
    with pytest.raises(ShardError, match=r"homolog version differs \(\"0.0.1\" vs"):
        merge_shards([s1, s2, s3], tmp_path / "m")


def test_merge_refuses_shards_of_another_referential_or_target(
    sharded: dict[str, Any], tmp_path: Path, target_file: Path
) -> None:
    s1, s2, _ = sharded["shards"]
    other_ref = tmp_path / "other-ref"
    other_ref.mkdir()
    changed = _referential(other_ref, title="Another title: another content")
    (third,) = [run(changed, target_file, out=tmp_path / "other-3", shard="3/3").run_dir]
    with pytest.raises(ShardError, match="its referential differs"):
        merge_shards([s1, s2, third], tmp_path / "m1")
    other_target = tmp_path / "other-target.yaml"
    raw = yaml.safe_load(target_file.read_text())
    raw["system"]["version"] = "2"
    other_target.write_text(yaml.safe_dump(raw))
    third = run(sharded["ref"], other_target, out=tmp_path / "other-target-3", shard="3/3").run_dir
    with pytest.raises(ShardError, match="its target differs"):
        merge_shards([s1, s2, third], tmp_path / "m2")


def test_a_merged_run_whose_files_no_longer_match_a_shard_manifest_fails_verify(
    sharded: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    merged = tmp_path / "merged"
    merge_shards(sharded["shards"], merged)
    assert main(["verify", str(merged)]) == 0
    evidence = next(p for p in sorted((merged / "evidence").rglob("*")) if p.is_file())
    evidence.write_bytes(b"rewritten")
    write_manifest(merged)  # the merged manifest re-made over the change: the shards' manifests still tell
    capsys.readouterr()
    assert main(["verify", str(merged)]) == 100
    assert f"MANIFEST.sha256: {evidence.relative_to(merged).as_posix()} changed" in capsys.readouterr().out


def test_homolog_merge_command(sharded: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dirs = [str(d) for d in sharded["shards"]]
    assert main(["merge", *dirs, "--out", str(tmp_path / "cli"), "--report", "json"]) == 100  # non-compliant
    out = capsys.readouterr().out
    assert "status: NON_COMPLIANT" in out and "json report" in out
    assert main(["merge", *dirs[:2], "--out", str(tmp_path / "cli2")]) == 1
    assert "3/3 missing" in capsys.readouterr().err


def test_a_resumed_shard_keeps_its_share(sharded: dict[str, Any], target_file: Path, tmp_path: Path) -> None:
    s2 = sharded["shards"][1]
    before = read_run(s2)
    lines = (s2 / "results.jsonl").read_text().splitlines(keepends=True)
    (s2 / "results.jsonl").write_text("".join(lines[:-1]))  # the last case was killed
    (s2 / "run.json").unlink()
    after = run(sharded["ref"], target_file, out=s2, resume=True, **sharded["decisions"]).document
    assert _comparable(after) == _comparable(before)
    assert after.summary.deselected.selection == "--shard 2/3"
    with pytest.raises(ConfigError):
        run(sharded["ref"], target_file, out=s2, resume=True, shard="1/3")
