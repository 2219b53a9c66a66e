"""JSON Schemas of homolog's file formats and their validation into located problems."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from .errors import Problem
from .yamlsafe import Located, PathKey

if TYPE_CHECKING:
    import jsonschema
    from jsonschema.exceptions import ValidationError

__all__ = ["conforms", "conforms_to", "load_schema", "schema_problems"]

SCHEMA_FILES = {
    "referential": "referential.schema.json",
    "target": "target.schema.json",
    "run": "run.schema.json",
}


@cache
def load_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema named `kind` (referential, target, run), shipped as package data."""
    text = resources.files("homolog.referentials").joinpath(SCHEMA_FILES[kind]).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator(kind: str) -> jsonschema.protocols.Validator:
    # jsonschema (45-55 ms of imports here) only words the problems of a document the compiled
    # validator did not accept: a run whose files conform never imports it
    import jsonschema

    schema = load_schema(kind)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


@cache
def _fast_check(kind: str) -> Callable[[Any], bool] | None:
    """A compiled (Rust) validity test for the `kind` schema; None when it cannot be had."""
    return _compiled(json.dumps(load_schema(kind), sort_keys=True))


@cache
def _compiled(schema_text: str) -> Callable[[Any], bool] | None:
    """A compiled (Rust) validity test for the schema written `schema_text`; None when it cannot be had."""
    try:
        import jsonschema_rs
    except ImportError:
        return None
    try:
        test: Callable[[Any], bool] = jsonschema_rs.validator_for(json.loads(schema_text)).is_valid
    except Exception:  # a schema it cannot compile: jsonschema alone decides
        return None
    return test


def conforms(data: Any, kind: str) -> bool:
    """Whether `data` certainly conforms to the `kind` schema, tested by the compiled validator.

    False means "not known to conform": jsonschema then lists the problems (it alone words
    them). A document the compiled validator accepts has none — the shipped schemas,
    referentials and runs are checked to get the same answer from both.
    """
    return _passes(_fast_check(kind), data)


def conforms_to(schema: Mapping[str, Any], data: Any) -> bool:
    """`conforms` for any schema (a suite's settings schema): True when the compiled validator
    accepts `data`; False means "not known to conform", for jsonschema to word the problems."""
    try:
        text = json.dumps(schema, sort_keys=True)
    except (TypeError, ValueError):  # a schema JSON cannot write: jsonschema alone decides
        return False
    return _passes(_compiled(text), data)


def _passes(test: Callable[[Any], bool] | None, data: Any) -> bool:
    if test is None:
        return False
    try:
        return bool(test(data))
    except Exception:  # values it cannot represent (non-string keys, huge integers): let jsonschema decide
        return False


def schema_problems(doc: Located, kind: str) -> list[Problem]:
    """Validate `doc` against the `kind` schema; one located, actionable problem per error."""
    if conforms(doc.data, kind):
        return []
    problems: list[Problem] = []
    for err in sorted(_validator(kind).iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path))):
        problems.extend(_explain(doc, err))
    return problems


def _explain(doc: Located, err: ValidationError) -> list[Problem]:
    path: PathKey = tuple(err.absolute_path)
    schema = err.schema if isinstance(err.schema, dict) else {}
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = sorted(schema.get("properties", {}))
        out = []
        for key in err.instance:
            if key in allowed or _matches_pattern(schema, key):
                continue
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            out.append(
                doc.problem(
                    (*path, key),
                    f"unknown key; expected one of: {', '.join(allowed)}" if allowed else "unknown key",
                    close[0] if close else None,
                )
            )
        return out
    if (
        err.validator == "oneOf"
        and isinstance(err.instance, dict)
        and "checks" in json.dumps(err.validator_value)[:400]
    ):
        present = [k for k in ("checks", "attestation", "not_tested") if k in (err.instance or {})]
        if len(present) != 1:
            found = ", ".join(present) if present else "none"
            return [doc.problem(path, f"needs exactly one of checks, attestation, not_tested (found: {found})")]
        # exactly one present: the real error is inside it
        inner = [e for e in (err.context or []) if e.validator != "required"]
        if inner:
            return _explain(doc, min(inner, key=lambda e: len(e.path)))
    if err.validator == "oneOf" and err.context:
        from jsonschema.exceptions import best_match

        best = best_match(err.context)
        if best is not None and best is not err:
            return _explain(doc, best)
    expected: Any = err.validator_value  # the schema keyword's value (a list for required / enum)
    if err.validator == "required" and isinstance(err.instance, dict):
        missing = [k for k in expected if k not in (err.instance or {})]
        return [doc.problem(path, f"missing required key {k!r}") for k in missing]
    if err.validator == "enum":
        close = difflib.get_close_matches(str(err.instance), [str(v) for v in expected], n=1)
        one_of = ", ".join(map(str, expected))
        return [doc.problem(path, f"{err.instance!r} is not one of: {one_of}", close[0] if close else None)]
    if err.validator == "const":
        return [doc.problem(path, f"must be {expected!r}, not {err.instance!r}")]
    message = err.message
    if len(message) > 300:
        message = message[:300] + "..."
    return [doc.problem(path, message)]


def _matches_pattern(schema: dict[str, Any], key: str) -> bool:
    import re

    return any(re.search(p, key) for p in schema.get("patternProperties", {}))
