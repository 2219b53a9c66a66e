"""`pip install .` (not editable) gives a working `homolog` with its referentials inside."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = wheels.glob("homolog-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert top <= {"homolog", f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info"}, top
    assert "homolog/referentials/referential.schema.json" in names
    assert "homolog/cases/_cases.py" in names and "homolog/cases/run.ini" in names
    assert any(n.startswith("homolog/referentials/") and n.endswith(".yaml") for n in names)

    # install into a fresh prefix; dependencies come from this interpreter's site-packages
    prefix = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(prefix), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(prefix), sysconfig.get_paths()["purelib"]])
    env["PYTHONNOUSERSITE"] = "1"
    code = (
        f"import sys; sys.path[:] = [p for p in sys.path if p.rstrip('/') != {str(REPO)!r}];"
        f"import homolog, homolog.cli; assert homolog.__file__.startswith({str(prefix)!r}), homolog.__file__;"
        "sys.exit(homolog.cli.main(['list', 'checks']))"
    )
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    result = subprocess.run(
        [sys.executable, "-S", "-c", "import site; " + code],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "identity." in result.stdout or "security." in result.stdout
    lint = subprocess.run(
        [sys.executable, "-S", "-c", "import site; " + code.replace("'list', 'checks'", "'list', 'referentials'")],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert str(prefix) in lint.stdout
