"""The engine's imports: no cycle, the CLI without test helpers, no suite, fixture or report below the top.

Every import counts, also the ones inside functions: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

RUNNER = Path(__file__).resolve().parents[2] / "runner"
#: The composition layer: commands and what they print; they may import everything.
COMPOSITION = {"homolog.cli", "homolog.demo", "homolog.console"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(RUNNER).with_suffix("")
    parts = [p for p in rel.parts if p != "__init__"]
    return ".".join(["homolog", *parts])


def _imports(path: Path) -> set[str]:
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in RUNNER.rglob("*.py")}
    return {name: {i for i in _imports(path) if i in modules and i != name} for name, path in modules.items()}


def test_no_import_cycle_in_the_engine() -> None:
    # `homolog` (the package) is the public facade: it imports the engine, and modules
    # take only `__version__` from it, so it is left out of the graph.
    graph = {k: v - {"homolog"} for k, v in _graph().items() if k != "homolog"}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def strong(node: str) -> None:  # Tarjan: a component of more than one module is a cycle
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                strong(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            strong(node)
    assert not cycles


def test_the_cli_does_not_use_the_test_helpers() -> None:
    imports = set().union(*(_imports(RUNNER / f) for f in ("cli.py", "demo.py", "console.py", "api.py")))
    assert "homolog.testing" not in imports


def test_the_engine_imports_no_suite_no_fixture_no_report() -> None:
    offenders = {}
    for path in RUNNER.rglob("*.py"):
        name = _module_name(path)
        if name in COMPOSITION:
            continue
        bad = {i for i in _imports(path) if i.startswith(("homolog.suites", "homolog.fixtures", "homolog.reports"))}
        if bad:
            offenders[name] = sorted(bad)
    assert not offenders


def test_counterparts_do_not_know_the_engine() -> None:
    root = RUNNER.parent / "counterparts"
    engine = {_module_name(p) for p in RUNNER.rglob("*.py")} - {"homolog"}
    for path in root.rglob("*.py"):
        imports = {
            i for i in ast.walk(ast.parse(path.read_text("utf-8"))) if isinstance(i, ast.ImportFrom | ast.Import)
        }
        names = {n.module or "" for n in imports if isinstance(n, ast.ImportFrom)} | {
            a.name for n in imports if isinstance(n, ast.Import) for a in n.names
        }
        assert not names & (engine | {"homolog"}), (path, names & engine)
