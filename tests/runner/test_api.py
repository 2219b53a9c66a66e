"""`homolog.api.run`: the one run entry point, used by the CLI, the demo and the test helpers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from engine_support import requirement, write_referential

import homolog.api
from homolog.api import RunResult
from homolog.cli import main
from homolog.counterparts import CounterpartError, declared
from homolog.runfile import read_run
from homolog.verdicts import ExitCode, RunStatus

HERE = Path(__file__).resolve().parent


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every call of homolog.api.run, recorded (the real run still happens)."""
    calls: list[dict[str, Any]] = []
    real = homolog.api.run

    def recording(*args: Any, **kwargs: Any) -> RunResult:
        calls.append({"args": args, **kwargs})
        return real(*args, **kwargs)

    monkeypatch.setattr(homolog.api, "run", recording)
    return calls


def test_run_returns_a_typed_result(tmp_path: Path, target_file: Path) -> None:
    ref = write_referential(tmp_path / "r.yaml", [requirement("R.1", "engine.http.status")])
    result = homolog.api.run(ref, target_file, out=tmp_path / "run")
    assert result.run_dir == tmp_path / "run"
    assert result.status == RunStatus.COMPLIANT and result.exit_code == ExitCode.COMPLIANT
    assert result.document.requirement("R.1").shown == "passed"
    assert result.pytest_exit == 0


def test_the_cli_runs_through_the_api(
    spy: list[dict[str, Any]], tmp_path: Path, target_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = write_referential(tmp_path / "r.yaml", [requirement("R.1", "engine.outcome.fail")])
    code = main(["run", "-r", str(ref), "-t", str(target_file), "--out", str(tmp_path / "run"), "--report", ""])
    assert code == ExitCode.NON_COMPLIANT
    assert len(spy) == 1 and spy[0]["out"] == tmp_path / "run"
    assert "status: NON_COMPLIANT" in capsys.readouterr().out


@pytest.mark.slow
def test_the_demo_runs_through_the_api_with_its_counterparts(
    spy: list[dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = write_referential(tmp_path / "r.yaml", [requirement("R.psc", "engine.counterpart.psc_issuer")], id="demo-api")
    code = main(["demo", "-r", str(ref), "--out", str(tmp_path / "run"), "--report", ""])
    assert code == ExitCode.COMPLIANT, capsys.readouterr().out
    assert len(spy) == 1 and set(spy[0]["counterparts"]) == {
        "dmp",
        "eprescription",
        "insi",
        "mss",
        "patient_idp",
        "psc",
    }
    # the demo's PSC simulator is the one the check reached, and it is stopped now
    evidence = json.loads(next((tmp_path / "run" / "evidence").rglob("*psc.json")).read_text())
    assert "psc on " + evidence["url"] in capsys.readouterr().out
    assert _closed(urlsplit(evidence["url"]).port)


def _closed(port: int | None) -> bool:
    assert port
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) != 0


def _with_counterparts(target_file: Path, counterparts: dict[str, Any]) -> Path:
    doc = yaml.safe_load(target_file.read_text())
    doc["counterparts"] = counterparts
    target_file.write_text(yaml.safe_dump(doc))
    return target_file


def test_the_run_starts_and_stops_what_the_target_declares_xdist_workers_reach_it(
    tmp_path: Path, target_file: Path
) -> None:
    ref = write_referential(
        tmp_path / "r.yaml",
        [requirement(f"R.{i}", "engine.counterpart.psc_issuer", with_={"visit": i}) for i in range(2)],
    )
    target = _with_counterparts(target_file, {"psc": {"port": 0}})
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    # a subprocess: xdist workers take the sys.path of the process that starts them
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "homolog.cli",
            "run",
            "-r",
            str(ref),
            "-t",
            str(target),
            "--out",
            str(tmp_path / "run"),
            "-n",
            "2",
            "--report",
            "",
            "--",
            "-p",
            "enginechecks",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    output, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, output
    result = homolog.api.RunResult(tmp_path / "run", read_run(tmp_path / "run"), 0)
    assert [r.shown for r in result.document.requirements] == ["passed", "passed"]
    seen = [json.loads(p.read_text()) for p in (tmp_path / "run" / "evidence").rglob("*psc.json")]
    assert len(seen) == 2 and all(s["pid"] != proc.pid for s in seen)  # in xdist workers
    assert result.document.target.base_urls["psc"] == seen[0]["url"]  # in scope, recorded
    assert _closed(urlsplit(seen[0]["url"]).port)  # stopped with the run
    # the control API's secret path is not written into the run
    secret_path = "/_homolog/"
    for path in (tmp_path / "run").rglob("*"):
        if path.is_file():
            assert secret_path.encode() not in path.read_bytes(), path


def test_a_check_without_its_counterpart_is_an_error_naming_the_declaration(tmp_path: Path, target_file: Path) -> None:
    ref = write_referential(tmp_path / "r.yaml", [requirement("R.1", "engine.counterpart.psc_issuer")])
    result = homolog.api.run(ref, target_file, out=tmp_path / "run")
    check = result.document.requirement("R.1").checks[0]
    assert check.shown == "error"
    assert "no counterpart 'psc' in this run" in (check.message or "")
    assert "counterparts:" in (check.message or "")


def test_a_busy_port_or_an_unknown_counterpart_stops_the_run_with_a_clear_message(
    tmp_path: Path, target_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = write_referential(tmp_path / "r.yaml", [requirement("R.1", "engine.http.status")])
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        target = _with_counterparts(target_file, {"psc": {"port": port}})
        code = main(["run", "-r", str(ref), "-t", str(target), "--out", str(tmp_path / "a"), "--report", ""])
    assert code == ExitCode.USAGE
    assert f"counterparts.psc: cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
    with pytest.raises(
        CounterpartError, match=r"unknown counterpart 'pcs' \(known: dmp, eprescription, insi, mss, patient_idp, psc\)"
    ):
        declared({"pcs": {}})
    with pytest.raises(CounterpartError, match=r"127\.0\.0\.1 only"):
        declared({"psc": {"host": "0.0.0.0"}})


_PLUGIN_NAMES = """
import json, os

def pytest_configure(config):
    names = [name for name, plugin in config.pluginmanager.list_name_plugin() if plugin is not None]
    with open(os.environ["HOMOLOG_TEST_PLUGINS_OUT"], "a") as out:
        out.write(json.dumps(names) + "\\n")
"""


_MODULES_SEEN = """
import json, os, sys

def pytest_sessionfinish(session):
    with open(os.environ["HOMOLOG_TEST_MODULES_OUT"], "a") as out:
        out.write(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "jsonschema")) + "\\n")
"""


@pytest.mark.parametrize("seed", [7, "seven"])
def test_jsonschema_is_imported_only_to_word_problems(seed: Any, tmp_path: Path, target_file: Path) -> None:
    """The compiled validator decides that the referential, the target and its settings
    conform; jsonschema (tens of milliseconds of imports in every run's process) is only
    imported when something does not, to word the problem."""
    (tmp_path / "modules_seen.py").write_text(_MODULES_SEEN)
    target = yaml.safe_load(target_file.read_text())
    target["settings"] = {"fhir": {"robustness_seed": seed}, "ui": {"quiet_ms": 500}}
    target_file.write_text(yaml.safe_dump(target))
    ref = write_referential(tmp_path / "r.yaml", [requirement("R.1", "engine.http.status")])
    out = tmp_path / "modules.jsonl"
    here = Path(__file__).resolve().parent  # the engine test checks (enginechecks.py)
    env = {**os.environ, "HOMOLOG_TEST_MODULES_OUT": str(out), "PYTHONPATH": f"{tmp_path}{os.pathsep}{here}"}
    command = [sys.executable, "-m", "homolog.cli", "run", "-r", str(ref), "-t", str(target_file)]
    command += ["--out", str(tmp_path / "run"), "--report", "", "--", "-p", "enginechecks", "-p", "modules_seen"]
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    if seed == 7:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        [seen] = [json.loads(line) for line in out.read_text().splitlines()]
        assert seen == [], f"a run of conforming files imported {seen}"
    else:
        assert proc.returncode == ExitCode.USAGE, proc.stdout + proc.stderr
        assert "settings.fhir.robustness_seed: 'seven' is not of type 'integer'" in proc.stderr + proc.stdout


def test_a_run_loads_its_own_plugins_not_every_installed_one(
    tmp_path: Path, target_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entry-point plugins of other packages (hypothesis, anyio, pytest-timeout here) stay out of
    a run; one named after `--` (`-p NAME`) is loaded."""
    (tmp_path / "plugin_names.py").write_text(_PLUGIN_NAMES)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("HOMOLOG_TEST_PLUGINS_OUT", str(tmp_path / "plugins.jsonl"))
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    ref = write_referential(tmp_path / "r.yaml", [requirement("R.1", "engine.http.status")])
    result = homolog.api.run(ref, target_file, out=tmp_path / "run", extra=["-p", "plugin_names"])
    assert result.document.requirement("R.1").shown == "passed"
    [names] = [json.loads(line) for line in (tmp_path / "plugins.jsonl").read_text().splitlines()]
    assert {"homolog.plugin", "xdist.plugin", "plugin_names"} <= set(names)
    assert "allure_pytest.plugin" not in names  # no Allure results asked for
    installed = {"hypothesispytest", "anyio", "timeout", "faker"}
    assert installed <= {ep.name for ep in entry_points(group="pytest11")}  # declared here: the test can fail
    assert not installed & set(names), f"a run loaded {sorted(installed & set(names))}"


@pytest.mark.parametrize("alluredir", ["--alluredir", "--alluredir="])
def test_allure_pytest_is_loaded_when_a_run_asks_for_allure_results(
    alluredir: str, tmp_path: Path, target_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "plugin_names.py").write_text(_PLUGIN_NAMES)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("HOMOLOG_TEST_PLUGINS_OUT", str(tmp_path / "plugins.jsonl"))
    ref = write_referential(tmp_path / "r.yaml", [requirement("R.1", "engine.http.status")])
    results = tmp_path / "allure-results"
    given = ["--alluredir", str(results)] if alluredir == "--alluredir" else [f"--alluredir={results}"]
    homolog.api.run(ref, target_file, out=tmp_path / "run", extra=["-p", "plugin_names", *given])
    [names] = [json.loads(line) for line in (tmp_path / "plugins.jsonl").read_text().splitlines()]
    assert "allure_pytest.plugin" in names
    assert list(results.glob("*-result.json")), "allure-pytest wrote the case's result"
