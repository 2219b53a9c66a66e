"""The package's imports follow ARCHITECTURE.md: no cycle, and each layer imports only what it may.

The rules are read from the "Import rules" table of ARCHITECTURE.md (the one place they are
written); every module of the source folders is read with `ast`, imports inside functions
and under TYPE_CHECKING included.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sourcetree import REPO, SourceModule, source_modules

MARKER = "<!-- import rules: read by tests/test_layering.py -->"
SPECIAL = ("public API", "own domain's support", "other domains' support", "counterparts interface")


@dataclass(frozen=True)
class Rule:
    layer: str
    modules: tuple[str, ...]
    may_import: tuple[str, ...]


@dataclass(frozen=True)
class Edge:
    source: str
    target: str  # the module imported (a package when a name is taken from its __init__)
    name: str | None  # the name taken from `target` by `from target import name`, if any
    line: int

    def __str__(self) -> str:
        what = f"{self.target}.{self.name}" if self.name else self.target
        return f"{MODULES[self.source].rel}:{self.line}: {self.source} imports {what}"


def read_rules() -> list[Rule]:
    text = (REPO / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert MARKER in text, f"ARCHITECTURE.md lost the marker {MARKER!r} above the import rules table"
    lines = text.split(MARKER, 1)[1].strip().splitlines()
    rows = []
    for line in lines[2:]:  # header and separator
        if not line.startswith("|"):
            break
        layer, modules, may = (cell.strip() for cell in line.strip().strip("|").split("|"))
        rows.append(
            Rule(
                layer,
                tuple(re.findall(r"`([^`]+)`", modules)),
                tuple(item.strip() for item in may.split(",") if item.strip()),
            )
        )
    return rows


RULES = read_rules()
LAYERS = {rule.layer: rule for rule in RULES}
MODULES = source_modules()


def layer_of(module: str) -> str:
    best, length = "", -1
    for rule in RULES:
        for prefix in rule.modules:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > length:
                best, length = rule.layer, len(prefix)
    return best


def _owner(dotted: str) -> str | None:
    """The longest known module that `dotted` is or lies in (None: not part of the package)."""
    while dotted:
        if dotted in MODULES:
            return dotted
        dotted = dotted.rpartition(".")[0]
    return None


def _edges_of(module: SourceModule) -> Iterator[Edge]:
    package = module.name if module.is_package else module.name.rpartition(".")[0]
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _owner(alias.name)
                if target:
                    yield Edge(module.name, target, None, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                if f"{base}.{alias.name}" in MODULES:
                    yield Edge(module.name, f"{base}.{alias.name}", None, node.lineno)
                elif (target := _owner(base)) is not None:
                    yield Edge(module.name, target, alias.name if target == base else None, node.lineno)


EDGES = [edge for module in MODULES.values() for edge in _edges_of(module) if edge.target != edge.source]


def _public_api() -> set[str]:
    for node in MODULES["homolog"].tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    raise AssertionError("runner/__init__.py has no __all__")


PUBLIC_API = _public_api()
CHECK_MODULES = {name for name, module in MODULES.items() if module.checks}


def _domain(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["homolog", "suites"] else None


def allowed(edge: Edge) -> bool:
    source_layer, target = layer_of(edge.source), edge.target
    for item in LAYERS[source_layer].may_import:
        if item.startswith("`"):
            module = item.strip("`")
            if target == module or target.startswith(module + "."):
                return True
        elif item == "public API":
            if target == "homolog" and (edge.name is None or edge.name in PUBLIC_API):
                return True
        elif item == "own domain's support":
            if _domain(target) and _domain(target) == _domain(edge.source) and target not in CHECK_MODULES:
                return True
        elif item == "other domains' support":
            inside = target.split(".")[3:]
            if _domain(target) and target not in CHECK_MODULES and not any(p.startswith("_") for p in inside):
                return True
        elif item == "counterparts interface":
            if target == "homolog.counterparts":  # the package: protocol and registry, no simulator
                return True
        elif item in LAYERS and layer_of(target) == item:
            return True
    return False


def test_the_rules_table_is_complete() -> None:
    layers = [rule.layer for rule in RULES]
    assert {"engine", "suites", "reports", "fixtures", "counterparts", "composition root"} <= set(layers), layers
    for rule in RULES:
        assert rule.modules, f"layer {rule.layer!r} names no module"
        for item in rule.may_import:
            assert item.startswith("`") or item in LAYERS or item in SPECIAL, (
                f"layer {rule.layer!r}: {item!r} is neither a layer, a `module` nor one of {SPECIAL}"
            )
    orphans = [name for name in MODULES if not layer_of(name)]
    assert not orphans, f"modules in no layer: {orphans}"


def test_the_walk_sees_the_package() -> None:
    # Guards the tests below against an empty or partial scan.
    roots = {name.split(".")[1] for name in MODULES if "." in name}
    assert {"suites", "reports", "fixtures", "cli", "plugin"} <= roots
    assert len(EDGES) > 300
    assert any((e.source, e.target, e.name) == ("homolog.suites.fhir.rest.read", "homolog", "check") for e in EDGES)


def _cycles(edges: list[Edge]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, set()).add(edge.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycle() -> None:
    edges = EDGES
    cycles = _cycles(edges)
    described = []
    for component in cycles:
        inside = [str(e) for e in edges if e.source in component and e.target in component]
        described.append(" / ".join(inside))
    assert not cycles, "import cycles:\n" + "\n".join(described)


def test_cycle_finder_finds_a_cycle() -> None:
    a_b = [Edge("a", "b", None, 1), Edge("b", "c", None, 1), Edge("c", "a", None, 1), Edge("c", "d", None, 1)]
    assert _cycles(a_b) == [["a", "b", "c"]]
    assert _cycles(a_b[1:]) == []


@pytest.mark.parametrize("layer", [rule.layer for rule in RULES])
def test_layer_imports_only_what_it_may(layer: str) -> None:
    mine = [e for e in EDGES if layer_of(e.source) == layer]
    wrong = [str(e) for e in mine if not allowed(e)]
    assert not wrong, f"layer {layer!r} may import {', '.join(LAYERS[layer].may_import)}; not:\n" + "\n".join(wrong)


def test_rules_reject_what_architecture_md_forbids() -> None:
    # The checker itself: examples of each rule, judged without the package's real edges.
    def ok(source: str, target: str, name: str | None = None) -> bool:
        return allowed(Edge(source, target, name, 0))

    assert ok("homolog.suites.fhir.rest.read", "homolog", "check")
    assert not ok("homolog.suites.fhir.rest.read", "homolog", "registry_internal_name")
    assert not ok("homolog.suites.fhir.rest.read", "homolog.http")  # engine module, not the public API
    assert ok("homolog.suites.fhir.rest.read", "homolog.suites.fhir.api")  # own domain's support
    assert not ok("homolog.suites.fhir.rest.vread", "homolog.suites.fhir.rest.read")  # a check module
    assert ok("homolog.suites.security.fixtures", "homolog.suites.ui.session")  # another domain's support
    assert not ok("homolog.suites.security.fixtures", "homolog.suites.documents._support")  # private
    assert not ok("homolog.suites.ui.session", "homolog.fixtures.refsut")
    assert not ok("homolog.reports.html", "homolog.suites.ui.axe")
    assert not ok("homolog.reports.html", "homolog.fixtures.refsut")
    assert not ok("homolog.reports.html", "homolog.plugin")
    assert ok("homolog.reports.html", "homolog.verdicts")
    assert not ok("homolog.plugin", "homolog.suites.security.psc")
    assert not ok("homolog.plugin", "homolog.reports")
    assert not ok("homolog.plugin", "homolog.fixtures.refsut")
    assert ok("homolog.cli", "homolog.reports")
    assert not ok("homolog.cli", "homolog.suites.security.psc")
    assert not ok("homolog.fixtures.refsut.server", "homolog")
    assert ok("homolog.fixtures.refsut.tlsconf", "homolog.counterparts.certificates")  # test CA, shared
    assert not ok("homolog.fixtures.refsut.insi", "homolog.counterparts.insi")  # no simulator
    assert not ok("homolog.plugin", "homolog.testing")
    for front in ("homolog.cli", "homolog.demo", "homolog.console", "homolog.api"):
        assert not ok(front, "homolog.testing")  # the run entry point and the CLI need no test helper
    assert ok("homolog.plugin", "homolog.counterparts")  # the interface: protocol and registry
    assert not ok("homolog.plugin", "homolog.counterparts.psc")  # a simulator is started by name only
    assert ok("homolog.demo", "homolog.counterparts.psc")
    assert ok("homolog.suites.security.psc.code_flow", "homolog.counterparts.psc")  # its control client
    assert not ok("homolog.counterparts.psc.simulator", "homolog")  # counterparts do not know the engine
    assert not ok("homolog.counterparts.psc.simulator", "homolog.http")
    assert not ok("homolog.counterparts.psc.simulator", "homolog.suites.security.psc_login")
