"""The examples property-based checks send: the same seed gives the same examples."""

from __future__ import annotations

import importlib
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
