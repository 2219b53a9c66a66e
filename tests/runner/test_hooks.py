"""Suite extension points (homolog.hookspec): options, fixtures, settings schemas, env in front ends only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from engine_support import requirement, write_referential

from homolog.cli import main
from homolog.hookspec import suite_plugins
from homolog.testing import run_referential
from homolog.verdicts import ExitCode

RUNNER = Path(__file__).resolve().parents[2] / "runner"
SUITES = RUNNER.parent / "suites"


def test_suites_declare_their_options_and_fixtures() -> None:
    suites = suite_plugins()
    assert not suites.load_errors
    options = {o.flag: o for o in suites.run_options()}
    assert options["--browser-ws"].setting == "ui.browser_ws" and options["--browser-ws"].env == "HOMOLOG_BROWSER_WS"
    assert options["--fhir-packages"].kind == "paths"
    assert {"homolog.suites.ui.fixtures", "homolog.suites.security.fixtures"} <= set(suites.fixture_modules())
    assert "ui" in suites.settings_schemas()
    # the engine declares no suite's option: --browser-ws comes from the UI suite only
    assert "browser-ws" not in (RUNNER / "plugin.py").read_text("utf-8")
    assert "browser-ws" not in (RUNNER / "cli.py").read_text("utf-8")


def test_suites_read_no_homolog_environment_variable() -> None:
    offenders = []
    for path in SUITES.rglob("*.py"):
        text = path.read_text("utf-8")
        if "os.environ" in text or "getenv(" in text:
            lines = [line for line in text.splitlines() if "environ" in line or "getenv(" in line]
            offenders += [f"{path.relative_to(SUITES)}: {line.strip()}" for line in lines if "HOMOLOG_" in line]
    assert not offenders


def _setting_ref(tmp_path: Path, key: str, expected: str | None) -> Path:
    return write_referential(
        tmp_path / "r.yaml", [requirement("R.1", "engine.settings.value", with_={"key": key, "expected": expected})]
    )


def _target_with_ui(target_file: Path, ui: dict[str, object]) -> Path:
    doc = yaml.safe_load(target_file.read_text())
    doc.setdefault("settings", {})["ui"] = ui
    target_file.write_text(yaml.safe_dump(doc))
    return target_file


def _verdict(run_dir: Path) -> tuple[str, str | None]:
    from homolog.runfile import read_run

    chk = read_run(run_dir).requirements[0].checks[0]
    return chk.shown, chk.message


def test_the_cli_maps_env_and_options_to_settings(
    tmp_path: Path, target_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cli_run(name: str, expected: str | None, *options: str) -> tuple[str, str | None]:
        ref = _setting_ref(tmp_path / name, "ui.browser_ws", expected)
        args = ["run", "-r", str(ref), "-t", str(target_file), "--out", str(tmp_path / name / "run"), "--report", ""]
        main([*args, *options])
        return _verdict(tmp_path / name / "run")

    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir(), (tmp_path / "c").mkdir(), (tmp_path / "d").mkdir()
    monkeypatch.setenv("HOMOLOG_BROWSER_WS", "ws://127.0.0.1:1/from-env")
    assert cli_run("a", "ws://127.0.0.1:1/from-env") == ("passed", None)  # the environment, by the CLI
    assert cli_run("b", "ws://127.0.0.1:2/option", "--browser-ws", "ws://127.0.0.1:2/option") == ("passed", None)
    _target_with_ui(target_file, {"browser_ws": "ws://127.0.0.1:3/target"})
    assert cli_run("c", "ws://127.0.0.1:3/target") == ("passed", None)  # the target beats the environment
    assert cli_run("d", "ws://127.0.0.1:2/option", "--browser-ws", "ws://127.0.0.1:2/option") == ("passed", None)


def test_the_engine_does_not_read_the_environment(
    tmp_path: Path, target_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import homolog.api

    monkeypatch.setenv("HOMOLOG_BROWSER_WS", "ws://127.0.0.1:1/from-env")
    result = homolog.api.run(_setting_ref(tmp_path, "ui.browser_ws", None), target_file, out=tmp_path / "run")
    assert result.document.requirements[0].shown == "passed"  # api.run is the engine: no env


def test_settings_break_a_suite_schema_the_run_stops_naming_the_key(
    tmp_path: Path, target_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _target_with_ui(target_file, {"browser_ws": 5})
    ref = _setting_ref(tmp_path, "ui.browser_ws", None)
    code = main(["run", "-r", str(ref), "-t", str(target), "--out", str(tmp_path / "run"), "--report", ""])
    assert code == ExitCode.USAGE
    err = capsys.readouterr().err
    assert f"{target}: settings.ui.browser_ws: 5 is not of type 'string'" in err


def test_the_test_helpers_are_a_front_end_too(
    tmp_path: Path, target_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMOLOG_FHIR_PACKAGES", os.pathsep.join(["/packages/a", "/packages/b"]))
    ref = write_referential(
        tmp_path / "r.yaml",
        [requirement("R.1", "engine.settings.value", with_={"key": "fhir.package_folders", "expected": None})],
    )
    doc = run_referential(ref, target_file, tmp_path / "run")
    message = doc["requirements"][0]["checks"][0]["message"]
    assert "fhir.package_folders = ['/packages/a', '/packages/b']" in message


def test_a_referential_without_automated_requirement_runs_no_item(tmp_path: Path, target_file: Path) -> None:
    ref = write_referential(tmp_path / "r.yaml", [requirement("R.m", attestation={"evidence": "une preuve"})])
    doc = run_referential(ref, target_file, tmp_path / "run")
    assert [r["verdict"] for r in doc["requirements"]] == ["manual"]
    assert doc["summary"]["total_checks"] == 0
