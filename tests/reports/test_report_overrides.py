"""A parameter the target sets (`overrides:`) is applied to the check, recorded in run.json
and shown in the HTML and PDF reports next to its requirement, with the default it replaces
(issue 16.2): an auditor sees every deviation from the referential."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from homolog.errors import ConfigError
from homolog.reports import render
from homolog.testing import run_referential

REFERENTIAL = {
    "format": "homolog.referential/1",
    "id": "overrides-demo",
    "version": "0.0.0",
    "title": "overrides shown in reports",
    "publisher": "homolog tests",
    "date": "2026-11-29",
    "requirements": [
        {
            "id": "OVR-01",
            "title": "nosniff, sessions set by the target",
            "text": "Every page carries X-Content-Type-Options: nosniff.",
            "level": "exigence",
            "source": {"document": "homolog tests"},
            "checks": [{"check": "security.headers.nosniff"}],
        },
        {
            "id": "OVR-02",
            "title": "nosniff as the referential says",
            "text": "Every page carries X-Content-Type-Options: nosniff.",
            "level": "exigence",
            "source": {"document": "homolog tests"},
            "checks": [{"check": "security.headers.nosniff", "with": {"sessions": ["authenticated"]}}],
        },
    ],
}


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _target_with(clean_sut: Any, overrides: dict[str, Any], path: Path) -> Path:
    target = yaml.safe_load(clean_sut.target_path.read_text(encoding="utf-8"))
    target["tls"]["ca_file"] = str(clean_sut.target_path.parent / target["tls"]["ca_file"])
    target["overrides"] = overrides
    return _write(path, target)


def _pdftotext(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is needed: apt-get install -y poppler-utils")
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(out.split())


def test_an_override_is_applied_recorded_and_shown_in_json_html_and_pdf(clean_sut: Any, tmp_path: Path) -> None:
    ref = _write(tmp_path / "ref.yaml", REFERENTIAL)
    target = _target_with(clean_sut, {"OVR-01": {"sessions": ["anonymous"]}}, tmp_path / "target.yaml")
    run_dir = tmp_path / "run"
    doc = run_referential(ref, target, run_dir)

    checks = {r["id"]: r["checks"][0] for r in doc["requirements"]}
    assert checks["OVR-01"]["params"]["sessions"] == ["anonymous"]
    assert checks["OVR-01"]["overrides"] == [
        {"param": "sessions", "value": ["anonymous"], "default": ["anonymous", "authenticated"], "set_by": "OVR-01"}
    ]
    # the override is keyed by requirement: the other use of the check keeps the referential's value
    assert checks["OVR-02"]["params"]["sessions"] == ["authenticated"]
    assert checks["OVR-02"]["overrides"] == []
    # the check ran with the value set: it looked at no page logged in
    assert checks["OVR-01"]["verdict"] == "passed", checks["OVR-01"]["message"]

    out = render(run_dir, ["json", "html", "pdf"], lang="en")
    copied = json.loads(out["json"].read_text(encoding="utf-8"))
    assert copied["requirements"][0]["checks"][0]["overrides"] == checks["OVR-01"]["overrides"]

    line = 'sessions = ["anonymous"] (default: ["anonymous", "authenticated"]; overrides.OVR-01)'
    page = out["html"].read_text(encoding="utf-8")
    first = page[page.index('id="req-OVR-01"') :]
    first = first[: first.index("</details>")]
    assert '<span class="caveat-mark">[Set by the target]</span>' in first  # visible while collapsed
    assert "<strong>Set by the target</strong>: " + line.replace('"', "&quot;") in first
    second = page[page.index('id="req-OVR-02"') :]
    assert "Set by the target" not in second[: second.index("</details>")]

    text = _pdftotext(out["pdf"])
    assert "Set by the target: " + line in text
    assert text.count("overrides.") == 1

    french = render(run_dir, ["html"])["html"].read_text(encoding="utf-8")
    assert "Fixé par la cible" in french and "valeur par défaut" in french


def test_an_override_of_a_parameter_the_check_lacks_is_refused_naming_the_key(
    clean_sut: Any, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    ref = _write(tmp_path / "ref.yaml", REFERENTIAL)
    target = _target_with(clean_sut, {"OVR-01": {"session": ["anonymous"]}}, tmp_path / "target.yaml")
    with pytest.raises(ConfigError):
        run_referential(ref, target, tmp_path / "run")
    message = capfd.readouterr().err
    lines = target.read_text("utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.strip() == "session:")  # the key at fault
    assert f"{target}:{line}: overrides.OVR-01.session: unknown parameter for OVR-01" in message
    assert "(did you mean 'sessions'?)" in message
    assert not (tmp_path / "run" / "run.json").exists()
