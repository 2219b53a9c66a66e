"""The examples property-based checks send: the same seed gives the same examples."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import strategies as st

from homolog.suites.seeded_examples import draw_examples


def test_same_seed_same_examples_other_seed_others() -> None:
    strategy = st.tuples(st.text(max_size=10), st.integers())
    first = draw_examples(strategy, seed_value=11, count=50)
    assert draw_examples(strategy, seed_value=11, count=50) == first
    assert draw_examples(strategy, seed_value=12, count=50) != first
    assert len(first) == 50


def test_examples_do_not_depend_on_the_modules_loaded_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # hypothesis mixes constants of loaded local modules into its draws: a module loaded
    # between two runs of a check must not change what the check sends.
    strategy = st.lists(st.text(max_size=30), min_size=5, max_size=5)
    before = draw_examples(strategy, seed_value=3, count=150)
    # hypothesis keeps strings of up to 20 characters, in sorted order: these sort first
    constants = [f"!hml-{i:02d}" for i in range(40)]
    (tmp_path / "homolog_local_constants.py").write_text(f"VALUES = {constants!r}\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("homolog_local_constants")
    try:
        after = draw_examples(strategy, seed_value=3, count=150)
    finally:
        sys.modules.pop(module.__name__, None)
    assert after == before
    assert not any(value in constants for example in after for value in example)


DRAW_TEXT = """
from hypothesis import strategies as st
from homolog.suites.seeded_examples import draw_examples
print(draw_examples(st.text(max_size=5), seed_value=7, count=20))
"""


def test_what_hypothesis_keeps_goes_to_the_homolog_cache_not_the_current_folder(tmp_path: Path) -> None:
    # A fresh process (hypothesis computes the characters of a codec once per process),
    # in an empty folder: a run must not leave `.hypothesis/` in the user's project.
    work, cache = tmp_path / "project", tmp_path / "cache"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_STORAGE_DIRECTORY"}
    env["HOMOLOG_CACHE_DIR"] = str(cache)
    runs = [
        subprocess.run([sys.executable, "-c", DRAW_TEXT], cwd=work, env=env, capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    assert runs[0].stdout == runs[1].stdout and runs[0].stdout.startswith("[")
    assert list(work.iterdir()) == []
    assert list((cache / "hypothesis" / "unicode_data").rglob("codec-*"))
