"""The pytest plugin end to end: every verdict path, pytest options kept working."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from engine_support import requirement, write_referential

from homolog.testing import pytest_args, run_referential

pytest_plugins = ["pytester"]
HERE = Path(__file__).resolve().parent


def _all_paths_referential(tmp_path: Path) -> Path:
    return write_referential(
        tmp_path / "ref.yaml",
        [
            requirement("R.pass", "engine.http.status"),
            requirement("R.fail", "engine.outcome.fail"),
            requirement("R.assert", "engine.outcome.assert"),
            requirement("R.error", "engine.outcome.error"),
            requirement("R.crash", "engine.outcome.crash"),
            requirement("R.skip", "engine.outcome.skip"),
            requirement("R.http404", "engine.http.status", with_={"path": "/missing"}),
            requirement("R.unknown", "engine.does.not_exist"),
            requirement("R.badparam", "engine.http.status", with_={"statuss": 200}),
            requirement("R.na", "engine.outcome.fail", applies_to={"modules": ["psc"]}),
            requirement("R.manual", attestation={"evidence": "une capture d'écran"}),
            requirement("R.nottested", not_tested="hors périmètre"),
            requirement("R.waived", "engine.outcome.fail"),
            requirement("R.attested", attestation={"evidence": "déclaration"}),
            requirement("R.secret", "engine.evidence.secret"),
        ],
    )


@pytest.fixture
def full_run(tmp_path: Path, target_file: Path) -> dict:  # type: ignore[type-arg]
    proof = tmp_path / "proof.pdf"
    proof.write_bytes(b"%PDF-1.4 synthetic proof")
    import hashlib

    (tmp_path / "att.yaml").write_text(
        yaml.safe_dump(
            {
                "format": "homolog.attestations/1",
                "attestations": [
                    {
                        "requirement": "R.attested",
                        "evidence": "proof.pdf",
                        "sha256": hashlib.sha256(proof.read_bytes()).hexdigest(),
                        "author": "QA",
                        "reviewer": "Auditor",
                        "date": "2026-11-01",
                        "expires": "2099-01-01",
                    }
                ],
            }
        )
    )
    (tmp_path / "waivers.yaml").write_text(
        yaml.safe_dump(
            {
                "format": "homolog.waivers/1",
                "waivers": [
                    {
                        "requirement": "R.waived",
                        "justification": "fix planned",
                        "approver": "RSSI",
                        "expires": "2099-01-01",
                    }
                ],
            }
        )
    )
    return run_referential(
        _all_paths_referential(tmp_path),
        target_file,
        tmp_path / "run",
        attestations=tmp_path / "att.yaml",
        waivers=tmp_path / "waivers.yaml",
    )


EXPECTED = {
    "R.pass": "passed",
    "R.fail": "failed",
    "R.assert": "failed",
    "R.error": "error",
    "R.crash": "error",
    "R.skip": "skipped",
    "R.http404": "failed",
    "R.unknown": "error",
    "R.badparam": "error",
    "R.na": "not_applicable",
    "R.manual": "manual",
    "R.nottested": "skipped",
    "R.waived": "waived",
    "R.attested": "attested",
    "R.secret": "failed",
}


def test_every_verdict_path(full_run: dict) -> None:  # type: ignore[type-arg]
    got = {r["id"]: r["verdict"] for r in full_run["requirements"]}
    assert got == EXPECTED
    assert full_run["status"] == "non_compliant"
    assert full_run["summary"]["requirements"]["failed"] == 4


def test_messages_say_why(full_run: dict) -> None:  # type: ignore[type-arg]
    by_id = {r["id"]: r for r in full_run["requirements"]}
    msg = lambda rid: by_id[rid]["checks"][0]["message"]
    assert msg("R.fail") == "the SUT said no"
    assert "value == 2" in msg("R.assert")
    assert "harness fault" in msg("R.crash") and "ZeroDivisionError" in msg("R.crash")
    assert "unknown check 'engine.does.not_exist'" in msg("R.unknown")
    assert "statuss" in msg("R.badparam") and "did you mean 'status'" in msg("R.badparam")
    assert "options.modules" in by_id["R.na"]["reason"]
    assert by_id["R.manual"]["attestation"]["evidence_expected"]["fr"] == "une capture d'écran"
    assert by_id["R.waived"]["waiver"]["approver"] == "RSSI"
    assert by_id["R.attested"]["attestation"]["reviewer"] == "Auditor"
    assert by_id["R.pass"]["checks"][0]["title"] == "The server answers the path with the expected status."


def test_secrets_never_reach_disk(full_run: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    for path in (tmp_path / "run").rglob("*"):
        if path.is_file():
            assert b"tok-9f8e7d6c5b4a" not in path.read_bytes(), path


def test_evidence_and_manifest(full_run: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    run = tmp_path / "run"
    by_id = {r["id"]: r for r in full_run["requirements"]}
    ev = by_id["R.pass"]["checks"][0]["evidence"]
    assert ev and json.loads((run / ev[0]).read_text())["response"]["status"] == 200
    assert any(p.endswith("traceback.txt") for p in by_id["R.crash"]["checks"][0]["evidence"])
    manifest = (run / "MANIFEST.sha256").read_text()
    assert "run.json" in manifest and ev[0] in manifest


def test_expired_waiver_and_bad_attestation_hash(tmp_path: Path, target_file: Path) -> None:
    ref = write_referential(
        tmp_path / "r.yaml",
        [requirement("R.w", "engine.outcome.fail"), requirement("R.a", attestation={"evidence": "x"})],
    )
    (tmp_path / "p.txt").write_text("proof")
    (tmp_path / "a.yaml").write_text(
        yaml.safe_dump(
            {
                "format": "homolog.attestations/1",
                "attestations": [
                    {
                        "requirement": "R.a",
                        "evidence": "p.txt",
                        "sha256": "0" * 64,
                        "author": "a",
                        "reviewer": "b",
                        "date": "2026-01-01",
                    }
                ],
            }
        )
    )
    (tmp_path / "w.yaml").write_text(
        yaml.safe_dump(
            {
                "format": "homolog.waivers/1",
                "waivers": [{"requirement": "R.w", "justification": "j", "approver": "a", "expires": "2020-01-01"}],
            }
        )
    )
    doc = run_referential(
        ref, target_file, tmp_path / "run", attestations=tmp_path / "a.yaml", waivers=tmp_path / "w.yaml"
    )
    by_id = {r["id"]: r for r in doc["requirements"]}
    assert by_id["R.w"]["verdict"] == "failed" and "expired" in by_id["R.w"]["reason"]
    assert by_id["R.a"]["verdict"] == "manual" and "SHA-256" in by_id["R.a"]["reason"]


# automated requirements that `-k "R.pass or R.fail"` leaves out of _all_paths_referential
LEFT_OUT = [
    "R.assert",
    "R.error",
    "R.crash",
    "R.skip",
    "R.http404",
    "R.unknown",
    "R.badparam",
    "R.waived",
    "R.secret",
]


def test_keyword_selection_records_the_others_as_not_run(tmp_path: Path, target_file: Path) -> None:
    from homolog.reports import render
    from homolog.runfile import validate_run

    ref = _all_paths_referential(tmp_path)
    doc = run_referential(ref, target_file, tmp_path / "run", keyword="R.pass or R.fail")
    assert validate_run(doc) == []
    by_id = {r["id"]: r for r in doc["requirements"]}
    assert by_id["R.pass"]["verdict"] == "passed" and by_id["R.fail"]["verdict"] == "failed"
    for rid in LEFT_OUT:
        assert by_id[rid]["verdict"] is None and by_id[rid]["deselected"] is True, rid
        assert "deselected by -k 'R.pass or R.fail'" in by_id[rid]["reason"]
        assert [c["deselected"] for c in by_id[rid]["checks"]] == [True]
        assert by_id[rid]["checks"][0]["verdict"] is None
    # not run is not a verdict: absent from every count, listed apart
    summary = doc["summary"]
    assert summary["deselected"] == {"requirements": LEFT_OUT, "checks": 9, "selection": "-k 'R.pass or R.fail'"}
    assert summary["requirements"]["skipped"] == 1  # R.nottested only
    assert sum(summary["requirements"].values()) + len(LEFT_OUT) == summary["total_requirements"] == 15
    assert sum(summary["checks"].values()) == 2
    assert doc["status"] == "non_compliant"

    out = render(tmp_path / "run", ["html", "junit"], lang="en")
    page = out["html"].read_text("utf-8")
    assert 'id="req-R.error" class="req v-deselected"' in page
    assert "9 requirement(s) not run in this session (deselected)" in page
    assert '<span class="n">1</span><span>Skipped</span>' in page
    junit = ET.parse(out["junit"]).getroot()
    assert {c.get("classname") for c in junit.iter("testcase")}.isdisjoint(LEFT_OUT)
    props = [p.get("value") for p in junit.iter("property") if p.get("name") == "homolog.deselected"]
    assert sorted(" ".join(props).split()) == sorted(LEFT_OUT)
    # 2 checks run + 4 requirements without checks (not tested, 2 manual, not applicable)
    assert (junit.get("tests"), junit.get("skipped")) == ("6", "4")


def test_a_run_with_everything_deselected_is_incomplete(tmp_path: Path, target_file: Path) -> None:
    ref = write_referential(tmp_path / "r.yaml", [requirement("R.pass", "engine.http.status")])
    doc = run_referential(ref, target_file, tmp_path / "run", keyword="nothing_matches")
    assert doc["requirements"][0]["deselected"] is True
    assert doc["summary"]["requirements"] == dict.fromkeys(doc["summary"]["requirements"], 0)
    assert doc["status"] == "incomplete"


def test_a_requirement_failed_before_its_deselected_part_stays_failed(tmp_path: Path, target_file: Path) -> None:
    ref = write_referential(
        tmp_path / "r.yaml",
        [
            requirement(
                "R.two",
                checks=[{"check": "engine.outcome.fail"}, {"check": "engine.http.status"}],
            )
        ],
    )
    doc = run_referential(ref, target_file, tmp_path / "run", keyword="fail")
    req = doc["requirements"][0]
    assert req["verdict"] == "failed" and req["deselected"] is False
    assert [(c["verdict"], c["deselected"]) for c in req["checks"]] == [("failed", False), (None, True)]
    assert doc["summary"]["deselected"]["checks"] == 1


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
    return env


def test_pytester_junitxml_and_xdist(
    pytester: pytest.Pytester, tmp_path: Path, target_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = write_referential(
        tmp_path / "r.yaml",
        [
            requirement("R.pass", "engine.http.status"),
            requirement("R.fail", "engine.outcome.fail"),
            requirement("R.error", "engine.outcome.error"),
            requirement("R.sleep", "engine.outcome.sleep"),
        ],
    )
    monkeypatch.setenv("PYTHONPATH", _env()["PYTHONPATH"])
    out = tmp_path / "run"
    out.mkdir()
    junit = tmp_path / "junit.xml"
    result = pytester.runpytest_subprocess(
        *pytest_args(ref, target_file, out, workers=2, extra=["-p", "enginechecks", f"--junitxml={junit}"])
    )
    assert result.ret == 1, result.stdout.str()
    doc = json.loads((out / "run.json").read_text())
    assert {r["id"]: r["verdict"] for r in doc["requirements"]} == {
        "R.pass": "passed",
        "R.fail": "failed",
        "R.error": "error",
        "R.sleep": "passed",
    }
    cases = ET.parse(junit).getroot().iter("testcase")
    names = sorted(c.get("name") for c in cases)  # type: ignore[type-var]
    assert names == sorted(
        f"test_check[{r}]"
        for r in (
            "R.pass::engine.http.status",
            "R.fail::engine.outcome.fail",
            "R.error::engine.outcome.error",
            "R.sleep::engine.outcome.sleep",
        )
    )
    lines = (out / "results.jsonl").read_text().splitlines()
    assert len(lines) == 4 and all(json.loads(line)["key"] for line in lines)


def test_xdist_workers_report_what_they_deselected(
    pytester: pytest.Pytester, tmp_path: Path, target_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = write_referential(
        tmp_path / "r.yaml",
        [requirement("R.pass", "engine.http.status"), requirement("R.fail", "engine.outcome.fail")],
    )
    monkeypatch.setenv("PYTHONPATH", _env()["PYTHONPATH"])
    out = tmp_path / "run"
    out.mkdir()
    result = pytester.runpytest_subprocess(
        *pytest_args(ref, target_file, out, workers=2, keyword="R.pass", extra=["-p", "enginechecks"])
    )
    assert result.ret == 0, result.stdout.str()
    doc = json.loads((out / "run.json").read_text())
    by_id = {r["id"]: r for r in doc["requirements"]}
    assert by_id["R.pass"]["verdict"] == "passed"
    assert by_id["R.fail"]["verdict"] is None and by_id["R.fail"]["deselected"] is True
    assert doc["summary"]["deselected"]["requirements"] == ["R.fail"]
    assert doc["status"] == "incomplete"


def test_plugin_is_inert_without_referential(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain():\n    assert True\n")
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=1)


def test_run_json_matches_published_schema(full_run: dict) -> None:  # type: ignore[type-arg]
    from homolog.runfile import validate_run

    assert validate_run(full_run) == []
