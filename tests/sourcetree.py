"""The package's modules as source, read with `ast` (nothing imported): for the layout tests.

Import names come from setup.py's ROOTS (through scripts/typecheck.py), so a source folder
added there (`counterparts/`) is walked without touching these tests.
"""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class SourceModule:
    name: str  # dotted import name, `homolog.suites.fhir.api`
    path: Path
    tree: ast.Module
    is_package: bool  # an __init__.py

    @property
    def rel(self) -> str:
        return str(self.path.relative_to(REPO))

    @property
    def code(self) -> bool:
        """Holds more than a docstring."""
        body = self.tree.body
        return bool(body[1:] if body and isinstance(body[0], ast.Expr) else body)

    @cached_property
    def checks(self) -> tuple[str, ...]:
        """Ids of the `@check("...")` decorators in the module."""
        ids = []
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for deco in node.decorator_list:
                if not isinstance(deco, ast.Call):
                    continue
                func = deco.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                if name != "check":
                    continue
                first = deco.args[0] if deco.args else None
                if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                    raise ValueError(f"{self.rel}:{deco.lineno}: a check id must be a string literal")
                ids.append(first.value)
        return tuple(ids)


def typecheck_script() -> ModuleType:
    """scripts/typecheck.py as a module (scripts/ is no package)."""
    spec = importlib.util.spec_from_file_location("typecheck", REPO / "scripts" / "typecheck.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def package_roots() -> dict[str, str]:
    """Import name → source folder, as setup.py maps them."""
    roots: dict[str, str] = typecheck_script().package_roots(REPO)
    return roots


@cache
def source_modules() -> dict[str, SourceModule]:
    """Every Python module of the package's source folders (referentials are data: left out)."""
    found = {}
    for root, folder in package_roots().items():
        if root == "homolog.referentials" or not (REPO / folder).is_dir():
            continue
        for path in sorted((REPO / folder).rglob("*.py")):
            rel = path.relative_to(REPO / folder).with_suffix("")
            is_package = rel.name == "__init__"
            parts = rel.parts[:-1] if is_package else rel.parts
            name = ".".join((root, *parts))
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            found[name] = SourceModule(name, path, tree, is_package)
    return found
