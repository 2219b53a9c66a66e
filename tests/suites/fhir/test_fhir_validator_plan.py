"""The validator's shortcuts give the answers of the general paths they stand in for.

Each shortcut (elements walked without building items, invariants decided on an object
lacking what they read, narrative names cleared in one scan, slices found by one lookup) is
compared with the path it replaces on the FR Core examples, both mutation corpora and HL7's
validator cases.
"""

from __future__ import annotations

import copy
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from homolog.suites.fhir.packages import Conformance
from homolog.suites.fhir.selftest import MUTATIONS, generated_mutations
from homolog.suites.fhir.validator import Validator, engine, special
from homolog.suites.fhir.validator.fastpath import Unsupported, compile_fast

_ADDRESS = re.compile(r" at 0x[0-9a-f]+")


def _corpus(fr_core: Conformance, shared_data: Path) -> list[dict[str, Any]]:
    """FR Core's examples, their mutants, and HL7's validator cases that are JSON objects."""
    examples = fr_core.examples()
    out = [examples[name] for name in sorted(examples)]
    for m in MUTATIONS + generated_mutations(Validator(fr_core), fr_core):
        mutant = copy.deepcopy(examples[m.example])
        m.mutate(mutant)
        out.append(mutant)
    for path in sorted((shared_data / "fhir-test-cases" / "validator").glob("*.json")):
        try:
            value = json.loads(path.read_text("utf-8-sig"))
        except ValueError:
            continue  # the malformed-JSON cases
        if isinstance(value, dict):
            out.append(value)
    return out


def _issues(validator: Validator, resource: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    # (fhirpathpy's messages may name Python objects by address)
    return [(i.severity, i.location, _ADDRESS.sub("", i.message), i.code) for i in validator.validate(resource)]


def _assert_same_issues(fast: list[Any], slow: list[Any]) -> None:
    assert sum(map(len, fast)) > 500  # (the corpus does raise issues)
    assert [i for i, (a, b) in enumerate(zip(fast, slow, strict=True)) if a != b] == []


def test_element_fast_paths_give_the_issues_of_the_general_walk(
    fr_core: Conformance, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = _corpus(fr_core, shared_data)
    planned = Validator(fr_core)
    fast = [_issues(planned, r) for r in corpus]
    walked = {kind for plan in planned._child_plans.values() for walk in plan.shapes.values() for _, _, kind, _ in walk}
    assert {
        engine._SIMPLE,
        engine._PLAIN,
        engine._FIXED,
        engine._BOUND,
        engine._SINGLE,
    } <= walked  # every fast walk was taken
    monkeypatch.setattr(engine, "_kind", lambda node: engine._GENERAL)
    general = Validator(fr_core)
    slow = [_issues(general, r) for r in corpus]
    assert {
        kind for plan in general._child_plans.values() for walk in plan.shapes.values() for _, _, kind, _ in walk
    } == {engine._GENERAL}
    _assert_same_issues(fast, slow)


def test_invariants_skipped_without_their_keys_give_the_issues_of_their_evaluation(
    fr_core: Conformance, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert engine.holds_without("contained.contained.empty()") == ("contained", "_contained")
    assert engine.holds_without("(identifier.count() + name.count()) > 0") is None  # fails on {}
    assert engine.holds_without("$this.exists()") is None  # reads its context as a whole
    assert engine._other_reference({"reference": "Patient/1"})
    assert not engine._other_reference({"reference": "#p1"})
    skipping, corpus = Validator(fr_core), _corpus(fr_core, shared_data)
    fast = [_issues(skipping, r) for r in corpus]
    monkeypatch.setattr(engine, "holds_without", lambda expression: None)
    monkeypatch.setattr(engine, "_other_reference", lambda value: False)
    evaluating = Validator(fr_core)
    slow = [_issues(evaluating, r) for r in corpus]
    _assert_same_issues(fast, slow)
    skippable = {c.key for plan in skipping._constraint_plans.values() for c in plan.rules if c.holds_without}
    assert {"dom-2", "dom-4", "dom-5"} <= skippable
    # set aside once per shape of object: a resource with a text and no `contained` is checked
    # against dom-6 (text.`div`.exists()), not against the rules about contained resources
    shapes = [{c.key for c in todo} for plan in skipping._constraint_plans.values() for todo in plan.shapes.values()]
    assert any("dom-6" in keys and not keys & {"dom-2", "dom-4", "dom-5"} for keys in shapes)
    assert not any(c.holds_without for plan in evaluating._constraint_plans.values() for c in plan.rules)


class _Opaque(dict[str, Any]):
    """A dict the empty-context shortcut does not recognise: the expression is evaluated."""


def _expressions(fr_core: Conformance, validator: Validator) -> list[str]:
    out: set[str] = set()
    for url in sorted(fr_core.canonicals("StructureDefinition")):
        tree = validator.tree(url)
        for node in tree.by_id.values() if tree is not None else []:
            out.update(str(c["expression"]) for c in node.constraints if isinstance(c.get("expression"), str))
    return sorted(out)


def _outcome(fn: Any, value: Any, root: Any) -> Any:
    try:
        return fn(value, "Resource", root, root)
    except Unsupported:
        return "unsupported"


def test_invariants_decided_without_evaluation_agree_with_evaluation(fr_core: Conformance) -> None:
    validator = Validator(fr_core)
    expressions = _expressions(fr_core, validator)
    values: list[dict[str, Any]] = [{}, {"id": "x"}, {"resourceType": "Patient", "id": "a", "text": {}}]
    values += [r for _, r in sorted(fr_core.examples().items())]
    compared = 0
    for expr in expressions:
        try:
            fn = compile_fast(expr)
        except Unsupported:
            continue
        for value in values:
            # Without the keys an expression reads, the shortcut answers; with _Opaque it cannot.
            for probe in (value, {k: v for k, v in value.items() if k in ("id", "resourceType", "meta")}):
                got, reference = _outcome(fn, probe, value), _outcome(fn, _Opaque(probe), value)
                assert got == reference, (expr, probe)
                compared += 1
    assert compared > 1000
    # dom-2 .. dom-5 (about `contained`) are among those decided on an empty context.
    dom_3 = next(e for e in expressions if e.startswith("contained.where(("))
    assert compile_fast(dom_3)({"id": "x"}, "Patient", {}, {}) == [True]
    with pytest.raises(Unsupported):  # a %resource read at the top is never taken for granted
        compile_fast("%resource.descendants().exists()")({"a": 1}, "Patient", {}, {})


_TAGS = ["div", "p", "b", "span", "table", "tr", "td", "a", "img", "script", "h:p", "x:script", "iframe", "br"]
_EQUALS = ["=", " = ", "= "]
_VALUES = ['"v"', "'v'", '"a>b"', "'x=\"y\"'"]
_ATTRS = ["class", "id", "style", "href", "onclick", "xml:lang", "xmlns:h", "h:title", "src", "data-x", "lang"]


def _random_div(rng: random.Random) -> str:
    def element(depth: int) -> str:
        tag = rng.choice(_TAGS[:10] if rng.random() < 0.85 else _TAGS)
        names = dict.fromkeys(rng.choice(_ATTRS[:4] if rng.random() < 0.8 else _ATTRS) for _ in range(3))
        attrs = "".join(" " + name + rng.choice(_EQUALS) + rng.choice(_VALUES) for name in names if rng.random() < 0.5)
        if tag.startswith("h:") or " h:" in attrs:
            attrs += ' xmlns:h="http://www.w3.org/1999/xhtml"'
        if tag.startswith("x:"):
            attrs += ' xmlns:x="urn:x"'
        inner = "".join(
            rng.choice(["text ", " ", "<!-- <script> -->", "<![CDATA[<i>]]>", "&amp;", 'a="b" '])
            if rng.random() < 0.6 or depth > 2
            else element(depth + 1)
            for _ in range(rng.randint(0, 3))
        )
        return f"<{tag}{attrs}/>" if not inner and rng.random() < 0.3 else f"<{tag}{attrs}>{inner}</{tag}>"

    return f'<div xmlns="http://www.w3.org/1999/xhtml">{element(0)}</div>'


def test_narrative_shortcuts_agree_with_the_full_reading(validator: Validator) -> None:
    narrative = validator.tree("http://hl7.org/fhir/StructureDefinition/Narrative")
    assert narrative is not None
    constraints = {c["key"]: c for c in narrative.by_path["Narrative.div"].constraints}
    elements, attributes = special._allowed_names(str(constraints["txt-1"]["xpath"]))
    rng = random.Random(18)
    problems = 0
    for _ in range(3000):
        div = _random_div(rng)
        parsed = special.parse_div(div)
        if isinstance(parsed, str):
            continue
        root, source = parsed
        markup = special._NOT_MARKUP.sub("", source)
        full = special.name_problem(markup, elements, attributes)
        assert special.html_problem("txt-1", constraints["txt-1"], parsed) == full, div
        problems += full is not None
        has_content = bool(special._HAS_CONTENT(root))
        assert (special.html_problem("txt-2", constraints["txt-2"], parsed) is None) == has_content, div
    assert 300 < problems < 2700  # both verdicts were met many times


def test_names_pattern_matches_exactly_the_names() -> None:
    """The prefix-factored pattern of the allowed names (`special._one_of`) accepts each name
    and nothing else: not a prefix of one, not one with more after it."""
    names = frozenset({"a", "abbr", "acronym", "b", "big", "br", "col", "colgroup", "h1", "h2", "x.y", "t-d"})
    pattern = re.compile(special._one_of(names))
    for name in names:
        assert pattern.fullmatch(name), name
    not_names = ("", "ab", "abb", "abbrx", "ac", "bi", "c", "co", "colg", "colgroups", "h", "h3", "xy", "x", "t", "td")
    for other in not_names:
        assert pattern.fullmatch(other) is None, other


def _coding_variants(fr_core: Conformance) -> list[dict[str, Any]]:
    """The Observation examples with each coding's system or code changed, and with each coding
    in a list split in two (one keeps its system, the other its code): codings that match a
    slice, others that miss it, and pairs that a slice discriminated by both matches only as a
    pair (each discriminator is looked for on its own)."""
    out = []
    observations = [r for _, r in sorted(fr_core.examples().items()) if r.get("resourceType") == "Observation"]

    def codings(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        found = []
        if isinstance(value, dict):
            if isinstance(value.get("system"), str) and isinstance(value.get("code"), str):
                found.append(path)
            for key, inner in value.items():
                found += codings(inner, (*path, key))
        elif isinstance(value, list):
            for i, inner in enumerate(value):
                found += codings(inner, (*path, i))
        return found

    def at(value: Any, path: tuple[Any, ...]) -> Any:
        for step in path:
            value = value[step]
        return value

    for resource in observations:
        for path in codings(resource):
            for key, other in (("system", "urn:oid:1.2.250.1.999"), ("code", "not-a-code")):
                variant = copy.deepcopy(resource)
                at(variant, path)[key] = other
                out.append(variant)
            if isinstance(path[-1], int):
                variant = copy.deepcopy(resource)
                coding = at(variant, path)
                at(variant, path[:-1])[path[-1] : path[-1] + 1] = [
                    {"system": coding["system"], "code": "not-a-code"},
                    {"system": "urn:oid:1.2.250.1.999", "code": coding["code"]},
                ]
                out.append(variant)
    return out


def test_slice_index_gives_the_issues_of_trying_each_slice(
    fr_core: Conformance, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = _corpus(fr_core, shared_data) + _coding_variants(fr_core)
    indexed = Validator(fr_core)
    fast = [_issues(indexed, r) for r in corpus]
    assert any(ix is not None for _, ix in indexed._slice_indexes.values()), "slicings were indexed"
    monkeypatch.setattr(engine.Validator, "_slice_index", lambda self, node, discs: None)
    tried = Validator(fr_core)
    slow = [_issues(tried, r) for r in corpus]
    _assert_same_issues(fast, slow)
    assert any(i[3] == "slice" or "slice" in i[2] for issues in fast for i in issues)  # slices were missed too
