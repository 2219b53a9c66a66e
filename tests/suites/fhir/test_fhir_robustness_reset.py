"""fhir.robustness.malformed_input against a server that resets the connection after a 500.

The verdict is `failed` with the 500 and its request in evidence on every run, and the
message is the same on every run: a transport error is the outcome of the example that
met it, never a FlakyFailure nor a harness fault, and the 500s found before are kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from resetfhir import TOKEN, TOKEN_ENV, reset_fhir_target

from homolog import ConfigError
from homolog.testing import CheckResult, run_check

PARAMS = {"max_examples": 30}


@pytest.fixture
def token_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)


@pytest.fixture
def resetting(tmp_path: Path, token_env: None) -> Iterator[Path]:
    with reset_fhir_target(tmp_path) as target:
        yield target


def examples(res: CheckResult) -> dict[str, Any]:
    path = next(p for p in res.evidence if p.name.endswith("robustness-examples.json"))
    return json.loads(path.read_text("utf-8"))  # type: ignore[no-any-return]


def test_reset_after_500_fails_with_the_request_ten_runs_out_of_ten(resetting: Path, tmp_path: Path) -> None:
    results = [
        run_check("fhir.robustness.malformed_input", resetting, tmp_path=tmp_path, params=PARAMS) for i in range(10)
    ]
    assert [r.verdict for r in results] == ["failed"] * 10, [r.message for r in results]
    assert len({r.message for r in results}) == 1, {r.message for r in results}
    message = results[0].message or ""
    assert "500 for POST /fhir/Patient with body" in message or "500 for PUT /fhir/Patient/" in message
    assert "connection broken before a complete answer for " in message
    record = examples(results[0])
    assert record["seed_from"] == "check parameter seed"
    crashed = [e for e in record["examples"] if e["outcome"] == 500]
    assert crashed and all(e["request"].split(" ")[0] in ("POST", "PUT") for e in crashed)
    # The example after each 500 met the reset: recorded with its own request.
    broken = [e for e in record["examples"] if e["outcome"] == "connection broken before a complete answer"]
    assert [e["example"] for e in broken] == [e["example"] + 1 for e in crashed][: len(broken)]
    assert all(e["request"] and e["detail"] for e in broken)
    # The whole exchange of the failing request is in the evidence too.
    exchanges = [
        json.loads(p.read_text("utf-8")) for p in results[0].evidence if p.name.partition("@")[2].startswith(("0", "1"))
    ]
    assert any((x.get("response") or {}).get("status") == 500 for x in exchanges if "request" in x)


def test_a_500_cut_by_a_reset_fails_with_its_request(tmp_path: Path, token_env: None) -> None:
    with reset_fhir_target(tmp_path, mode="truncated") as target:
        first = run_check("fhir.robustness.malformed_input", target, tmp_path=tmp_path, params=PARAMS)
        second = run_check("fhir.robustness.malformed_input", target, tmp_path=tmp_path, params=PARAMS)
    assert first.verdict == second.verdict == "failed"
    assert first.message == second.message
    assert "connection broken before a complete answer for POST /fhir/Patient with body" in (first.message or "")


def test_seed_set_by_the_target_replays_the_same_requests(resetting: Path, tmp_path: Path) -> None:
    doc = yaml.safe_load(resetting.read_text("utf-8"))
    doc["settings"] = {"fhir": {"robustness_seed": 7}}
    seeded = tmp_path / "seeded.yaml"
    seeded.write_text(yaml.safe_dump(doc), encoding="utf-8")
    runs = [run_check("fhir.robustness.malformed_input", seeded, tmp_path=tmp_path, params=PARAMS) for _ in "ab"]
    default = run_check("fhir.robustness.malformed_input", resetting, tmp_path=tmp_path, params=PARAMS)
    requests = [[e["request"] for e in examples(r)["examples"]] for r in (*runs, default)]
    assert requests[0] == requests[1] != requests[2]
    assert examples(runs[0])["seed"] == 7
    assert examples(runs[0])["seed_from"] == "target settings.fhir.robustness_seed"
    assert "(seed 7" in (runs[0].message or "")


def test_no_answer_at_all_is_an_error_not_a_failure(tmp_path: Path, token_env: None) -> None:
    with reset_fhir_target(tmp_path) as target:
        pass  # stopped: nothing listens on its port any more
    res = run_check("fhir.robustness.malformed_input", target, tmp_path=tmp_path, params=PARAMS)
    assert res.verdict == "error"
    assert "got an answer" in (res.message or "")


def test_a_bad_seed_setting_is_refused_naming_it(
    resetting: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = yaml.safe_load(resetting.read_text("utf-8"))
    doc["settings"] = {"fhir": {"robustness_seed": "seven"}}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(ConfigError):
        run_check("fhir.robustness.malformed_input", bad, tmp_path=tmp_path, params=PARAMS)
    assert f"{bad}: settings.fhir.robustness_seed: 'seven' is not of type 'integer'" in capsys.readouterr().err
