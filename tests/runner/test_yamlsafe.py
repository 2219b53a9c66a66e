from __future__ import annotations

import pytest

from homolog.errors import ConfigError
from homolog.yamlsafe import load_yaml


def test_lines_of_keys_and_items() -> None:
    doc = load_yaml("a: 1\nb:\n  - c: 2\n    d: 2026-01-02\n")
    assert doc.data == {"a": 1, "b": [{"c": 2, "d": "2026-01-02"}]}
    assert doc.line_of(("b", 0, "d")) == 4
    assert doc.line_of(("b", 0, "missing")) == 3


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("a: !!python/object/apply:os.system [echo]\n", 1, "tag"),
        ("x: &a [1]\ny: *a\n", None, "aliases"),
        ("a: 1\na: 2\n", 2, "duplicate key"),
        ("a: [1,\n", 2, "invalid YAML"),
        ("", 1, "empty"),
        ("a: .nan\n", 1, "NaN"),
        ("<<: {a: 1}\n", 1, "merge"),
    ],
)
def test_hostile_or_broken_yaml_is_a_located_error(text: str, line: int | None, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_yaml(text)
    problem = info.value.problems[0]
    assert words in problem.message
    if line is not None:
        assert problem.line == line


def test_not_utf8() -> None:
    with pytest.raises(ConfigError, match="UTF-8"):
        load_yaml(b"a: \xff\xfe\n")
