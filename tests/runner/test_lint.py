"""`homolog lint` and the loaders: every bad input is a located message, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from engine_support import requirement, write_referential
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homolog.cli import main
from homolog.errors import ConfigError
from homolog.referential import load_referential
from homolog.target import load_target

GOOD_REF = {
    "format": "homolog.referential/1",
    "id": "fuzz",
    "version": "1.0.0",
    "title": "Fuzz",
    "publisher": "homolog",
    "date": "2026-11-22",
    "include": [],
    "requirements": [
        requirement("R.1", "engine.outcome.fail", applies_to={"modules": ["dmp"]}),
        requirement("R.2", attestation={"evidence": "capture"}),
    ],
}
GOOD_TARGET = {
    "format": "homolog.target/1",
    "system": {"name": "SUT", "version": "1"},
    "base_urls": {"web": "https://127.0.0.1:8443"},
    "auth": {"web": {"type": "form", "username": "alice", "password_env": "PW"}},
    "options": {"modules": ["dmp"]},
    "pages": {"login": {"path": "/login", "locators": {"user": "#u"}}},
}


def test_misspelt_key_is_located_with_suggestion(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_referential(tmp_path / "ref.yaml", [requirement("R.1", "engine.outcome.fail")])
    text = path.read_text().replace("  level: exigence", "  level: exigence\n  applies_too: {modules: [dmp]}")
    path.write_text(text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "applies_too" in t)
    assert main(["lint", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:{line}: requirements[0].applies_too: unknown key" in err
    assert "did you mean 'applies_to'?" in err
    assert "Traceback" not in err


def test_unknown_check_and_bad_params_located(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_referential(
        tmp_path / "ref.yaml",
        [requirement("R.1", "engine.http.statu"), requirement("R.2", "engine.http.status", with_={"pth": "/"})],
    )
    assert main(["lint", str(path)]) == 1
    err = capsys.readouterr().err
    assert (
        "requirements[0].checks[0].check: unknown check 'engine.http.statu' (did you mean 'engine.http.status'?)" in err
    )
    assert "requirements[1].checks[0].with.pth" in err and "did you mean 'path'" in err


def test_builtin_referentials_lint_clean(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["lint"])
    out = capsys.readouterr()
    assert code == 0, out.err


def _mutations() -> st.SearchStrategy[object]:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20), st.floats(allow_nan=False))
    return st.recursive(
        scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=12), c, max_size=3), max_leaves=8
    )


def _paths(doc: object, prefix: tuple = ()) -> list[tuple]:  # type: ignore[type-arg]
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*prefix, i))
    return out


def _mutate(doc: object, data: st.DataObject) -> object:
    import copy

    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, 3))):
        paths = _paths(doc)
        path = data.draw(st.sampled_from(paths))
        action = data.draw(st.sampled_from(["replace", "delete", "rename", "add"]))
        if not path:
            doc = data.draw(_mutations()) if action == "replace" else doc
            continue
        parent = doc
        for p in path[:-1]:
            parent = parent[p]  # type: ignore[index]
        key = path[-1]
        if action == "replace":
            parent[key] = data.draw(_mutations())  # type: ignore[index]
        elif action == "delete":
            del parent[key]  # type: ignore[arg-type, union-attr]
        elif action == "rename" and isinstance(parent, dict):
            parent[data.draw(st.text(min_size=1, max_size=12))] = parent.pop(key)
        elif isinstance(parent, dict):
            parent[data.draw(st.text(min_size=1, max_size=12))] = data.draw(_mutations())
    return doc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_referentials_never_traceback(tmp_path: Path, data: st.DataObject) -> None:
    doc = _mutate(GOOD_REF, data)
    path = tmp_path / "m.yaml"
    raw = data.draw(st.sampled_from(["yaml", "bytes"]))
    if raw == "yaml":
        path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    else:
        text = yaml.safe_dump(GOOD_REF)
        cut = data.draw(st.integers(0, len(text)))
        path.write_bytes(text[:cut].encode() + data.draw(st.binary(max_size=8)))
    try:
        load_referential(path, roots=[tmp_path])
    except ConfigError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)
    assert main(["lint", str(path)]) in (0, 1)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_targets_never_traceback(tmp_path: Path, data: st.DataObject) -> None:
    doc = _mutate(GOOD_TARGET, data)
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    try:
        target = load_target(path)
    except ConfigError as exc:
        assert exc.problems
    else:
        target.describe()
        assert target.hosts


@pytest.mark.parametrize("value", ["true", "1", "'text'", "{a: 1}"])
def test_requirements_of_the_wrong_type(tmp_path: Path, value: str) -> None:
    # found by the mutation test above: a scalar where the list of requirements goes
    path = tmp_path / "r.yaml"
    path.write_text(
        yaml.safe_dump({**GOOD_REF, "requirements": []}).replace("requirements: []", f"requirements: {value}")
    )
    with pytest.raises(ConfigError) as info:
        load_referential(path, roots=[tmp_path])
    assert any(p.key == "requirements" for p in info.value.problems)
