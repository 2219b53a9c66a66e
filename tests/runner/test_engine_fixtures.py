"""The fixtures the engine makes itself (issue 18.2): a check asking only for `http`,
`evidence`, `target`, `requirement` and `params` gets them without pytest's lookup by name,
and records exactly what it records through `request.getfixturevalue`; a fixture of the
same name that pytest would give instead (a suite's fixture module) is still the one the
check gets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engine_support import recorded, requirement, write_referential

from homolog import hookspec, plugin
from homolog.testing import run_referential


def _run(tmp_path: Path, target_file: Path, name: str, **kw: object) -> Path:
    ref = write_referential(
        tmp_path / "ref.yaml",
        [requirement(f"R.{i}", "engine.fixtures.every", with_={"path": "/ok"}) for i in range(3)],
    )
    out = tmp_path / name
    run_referential(ref, target_file, out, **kw)  # type: ignore[arg-type]
    return out


def _count_fast_calls(monkeypatch: pytest.MonkeyPatch, log: Path) -> None:
    made = plugin._call_with_engine_fixtures

    def counted(*args: object) -> None:
        with log.open("a") as fh:
            fh.write("fast\n")
        made(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(plugin, "_call_with_engine_fixtures", counted)


def test_engine_made_fixtures_record_what_looked_up_fixtures_record(
    tmp_path: Path, target_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "fast.log"
    _count_fast_calls(monkeypatch, log)
    fast = recorded(_run(tmp_path, target_file, "fast"))
    assert log.read_text().count("fast") == 3  # the engine made the fixtures of every case
    log.unlink()
    monkeypatch.setattr(plugin, "_ENGINE_FIXTURES", frozenset())  # every fixture looked up by name
    general = recorded(_run(tmp_path, target_file, "general"))
    assert not log.exists()
    assert fast == general
    lines, files = fast
    assert [line["verdict"] for line in lines] == ["passed"] * 3
    seen = [json.loads(text) for name, text in files.items() if name.endswith("fixtures.json")]
    assert [s["requirement"] for s in seen] == ["R.0", "R.1", "R.2"]
    assert all(s["http_writes_to_evidence"] for s in seen)
    assert sum(1 for name in files if "-http-GET-ok" in name) == 3


def test_a_fixture_defined_elsewhere_is_the_one_the_check_gets(
    tmp_path: Path, target_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "other_requirement.py").write_text(
        "import types\n"
        "import pytest\n\n\n"
        "@pytest.fixture\n"
        "def requirement():\n"
        "    return types.SimpleNamespace(id='FROM-A-PLUGIN')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    declared = hookspec.SuitePlugins.fixture_modules
    monkeypatch.setattr(hookspec.SuitePlugins, "fixture_modules", lambda self: [*declared(self), "other_requirement"])
    log = tmp_path / "fast.log"
    _count_fast_calls(monkeypatch, log)
    run_dir = _run(tmp_path, target_file, "overridden")
    assert not log.exists()
    _, files = recorded(run_dir)
    seen = [json.loads(text) for name, text in files.items() if name.endswith("fixtures.json")]
    assert [s["requirement"] for s in seen] == ["FROM-A-PLUGIN"] * 3
