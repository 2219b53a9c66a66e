"""The compiled validator that lets valid documents skip jsonschema agrees with jsonschema.

`homolog.schemas.conforms` only ever says "certainly valid": a document it accepts is not
read by jsonschema again, so it must never accept what jsonschema refuses. Checked on
every shipped referential, the reference system's targets (each variant), synthetic runs,
and mutations of each that break the schema in the ways authors do.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from homolog.fixtures.refsut import start_sut
from homolog.hookspec import settings_problems, suite_plugins
from homolog.schemas import conforms, conforms_to, load_schema
from homolog.yamlsafe import load_yaml

ROOT = Path(__file__).resolve().parents[2]


def _jsonschema_valid(data: Any, kind: str) -> bool:
    schema = load_schema(kind)
    return not any(True for _ in jsonschema.validators.validator_for(schema)(schema).iter_errors(data))


def _mutations(doc: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for key in list(doc):
        broken = dict(doc)
        del broken[key]
        yield f"without {key}", broken
        for value in (12, "text", [], {}, None, True):
            yield f"{key} = {value!r}", {**doc, key: value}
    yield "an unknown key", {**doc, "unknown_key": 1}
    for key, value in doc.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            first = copy.deepcopy(value[0])
            for inner in list(first)[:6]:
                for bad in (12, None, "", [{}]):
                    yield f"{key}[0].{inner} = {bad!r}", {**doc, key: [{**first, inner: bad}, *value[1:]]}
            yield f"{key}[0] with an unknown key", {**doc, key: [{**first, "zz_unknown": 1}, *value[1:]]}


def _agree(doc: Any, kind: str, name: str) -> None:
    fast, full = conforms(doc, kind), _jsonschema_valid(doc, kind)
    # conforms may say "not known" for a valid document (jsonschema then decides), never the reverse
    assert not (fast and not full), f"{name}: the compiled validator accepts what jsonschema refuses"
    assert fast == full, f"{name}: compiled {fast}, jsonschema {full}"


def _referentials() -> list[Path]:
    return sorted((ROOT / "referentials").rglob("*.yaml"))


@pytest.mark.parametrize("path", _referentials(), ids=lambda p: p.name)
def test_shipped_referentials_and_their_mutations(path: Path) -> None:
    doc = load_yaml(path).data  # as the loader reads it (dates stay text)
    assert conforms(doc, "referential"), f"{path.name} conforms (every shipped referential does)"
    for what, broken in _mutations(doc):
        _agree(broken, "referential", f"{path.name}, {what}")


@pytest.mark.parametrize("variant", [{}, {"fhir": False, "web_login": "basic"}, {"directory": False}])
def test_reference_system_targets_and_their_mutations(variant: dict[str, Any], tmp_path: Path) -> None:
    with start_sut(workdir=tmp_path, **variant) as sut:
        doc = load_yaml(Path(sut.target_path)).data
    assert conforms(doc, "target")
    for what, broken in _mutations(doc):
        _agree(broken, "target", what)


def _synthetic_run(run_dir: Path) -> dict[str, Any]:
    # the report tests' synthetic run: every verdict, evidence kind, a waiver and an attestation
    spec = importlib.util.spec_from_file_location("synthrun_corpus", ROOT / "tests" / "reports" / "synthrun.py")
    assert spec is not None and spec.loader is not None
    synthrun = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = synthrun  # its dataclasses look their module up
    spec.loader.exec_module(synthrun)
    synthrun.build_run(run_dir, synthrun.demo_requirements())
    doc: dict[str, Any] = json.loads((run_dir / "run.json").read_text("utf-8"))
    return doc


def test_synthetic_runs_and_their_mutations(tmp_path: Path) -> None:
    doc = _synthetic_run(tmp_path)
    assert conforms(doc, "run")
    for what, broken in _mutations(doc):
        _agree(broken, "run", what)
    for what, broken in _mutations(doc["requirements"][0]):
        _agree({**doc, "requirements": [broken, *doc["requirements"][1:]]}, "run", f"requirements[0] {what}")


def _settings_values(schema: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Values for a suite's settings: valid ones, and each property given each wrong kind."""
    props = schema.get("properties") or {}
    yield "empty", {}
    for key, sub in props.items():
        for value in (12, 1.5, 1.0, -1, 0, 49, 50, 100_000, "", "text", [], ["a"], [1], {}, {"x": 1}, None, True):
            yield f"{key} = {value!r}", {key: value}
        if isinstance(sub, dict) and isinstance(sub.get("properties"), dict):
            for inner in sub["properties"]:
                for bad in (12, None, "", "text", [{}]):
                    yield f"{key}.{inner} = {bad!r}", {key: {inner: bad}}
            yield f"{key} with an unknown key", {key: {"zz_unknown": 1}}
    yield "an unknown key", {"zz_unknown": 1}
    yield "not an object", ["a"]


def test_suite_settings_schemas_on_valid_and_broken_settings() -> None:
    """`conforms_to` (what lets a target's settings skip jsonschema) never accepts what
    jsonschema refuses, on every settings schema the suites declare."""
    schemas = suite_plugins().settings_schemas()
    assert schemas, "the built-in suites declare settings schemas"
    seen = {True: 0, False: 0}
    for domain, domain_schemas in schemas.items():
        for schema in domain_schemas:
            for what, value in _settings_values(dict(schema)):
                fast = conforms_to(schema, value)
                full = not any(True for _ in jsonschema.Draft202012Validator(schema).iter_errors(value))
                assert fast == full, f"settings.{domain}, {what}: compiled {fast}, jsonschema {full}"
                seen[full] += 1
    assert seen[True] and seen[False], f"both valid and invalid settings were tried: {seen}"


def test_settings_problems_still_word_each_problem() -> None:
    """Valid settings give no problem; invalid ones are worded by jsonschema, located."""
    schemas = {"fhir": [{"type": "object", "properties": {"robustness_seed": {"type": "integer", "minimum": 0}}}]}
    assert settings_problems(schemas, {"fhir": {"robustness_seed": 7}}) == []
    assert settings_problems(schemas, {"fhir": {"robustness_seed": "seven"}}) == [
        "settings.fhir.robustness_seed: 'seven' is not of type 'integer'"
    ]
