"""The page map keys of the UI suite: `ready` and `navigation`, validated with the target."""

from __future__ import annotations

from pathlib import Path

import pytest

from homolog import TargetError, load_target

TARGET = """\
format: homolog.target/1
system: {name: spa, version: "1"}
base_urls: {web: "https://127.0.0.1:8443"}
pages:
  patients:
    path: "/#/patients"
    ready: "#patient-list"
  patient:
    path: /app/patient
    navigation: {navigation}
"""


def test_ready_and_in_app_navigation_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "target.yaml"
    path.write_text(TARGET.replace("{navigation}", "in-app"), encoding="utf-8")
    target = load_target(path)
    assert target.page("patients").path == "/#/patients"
    assert target.raw["pages"]["patients"]["ready"] == "#patient-list"


def test_an_unknown_navigation_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "target.yaml"
    path.write_text(TARGET.replace("{navigation}", "reload"), encoding="utf-8")
    with pytest.raises(TargetError) as info:
        load_target(path)
    assert "target.yaml:10" in str(info.value) and "pages.patient.navigation" in str(info.value)
