"""The `homolog` command: exit codes that mean something, no traceback for a user mistake."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from engine_support import requirement, write_referential

from homolog import __version__
from homolog.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_unknown_command_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 1
    assert main([]) == 1


def test_run_exit_codes(tmp_path: Path, target_file: Path) -> None:
    ok = write_referential(tmp_path / "ok.yaml", [requirement("R.1", "engine.http.status")], id="ok")
    bad = write_referential(tmp_path / "bad.yaml", [requirement("R.1", "engine.outcome.fail")], id="bad")
    inc = write_referential(tmp_path / "inc.yaml", [requirement("R.1", "engine.outcome.error")], id="inc")
    man = write_referential(tmp_path / "man.yaml", [requirement("R.1", attestation={"evidence": "x"})], id="man")
    for ref, code in ((ok, 0), (bad, 100), (inc, 101), (man, 101)):
        assert (
            main(["run", "-r", str(ref), "-t", str(target_file), "--out", str(tmp_path / ref.stem), "--report", ""])
            == code
        )


def test_run_with_missing_files_is_usage_error(
    tmp_path: Path, target_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "run",
                "-r",
                str(tmp_path / "nope.yaml"),
                "-t",
                str(target_file),
                "--out",
                str(tmp_path / "o"),
                "--report",
                "",
            ]
        )
        == 1
    )
    assert (
        main(["run", "-r", "no-such-referential", "-t", str(target_file), "--out", str(tmp_path / "p"), "--report", ""])
        == 1
    )
    assert "Traceback" not in capsys.readouterr().err


def test_list_checks_and_referentials(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "checks"]) == 0  # 2 would mean a suite failed to import
    out = capsys.readouterr().out
    assert "engine.http.status" in out
    assert main(["list", "referentials"]) == 0


def test_schema_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "target"]) == 0
    assert "homolog.target/1" in capsys.readouterr().out


def test_console_script_runs(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("homolog")
    result = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and __version__ in result.stdout


def test_run_by_id_uses_the_builtin_referentials(tmp_path: Path, target_file: Path) -> None:
    # an id (not a path) resolves on the search path; the demo referential is built in
    code = main(
        [
            "run",
            "-r",
            "homolog-demo",
            "-t",
            str(target_file),
            "--out",
            str(tmp_path / "o"),
            "--report",
            "",
            "-k",
            "nothing-matches-this",
        ]
    )
    assert code == 101  # nothing run: incomplete, but the referential was found


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "/nonexistent-run"],
        ["verify", "/nonexistent-run"],
        ["diff", "/nonexistent-a", "/nonexistent-b"],
        ["sign", "/nonexistent-run", "--key", "/nonexistent.pem"],
    ],
)
def test_bad_run_directory_is_a_message_not_a_traceback(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "nonexistent" in err and "Traceback" not in err
