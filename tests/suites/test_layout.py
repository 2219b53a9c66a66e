"""Names and places of the checks: the rule of ARCHITECTURE.md, "Suites: names and places".

The check `<domain>.<group>.<name>` lives in `suites/<domain>/<group>/<name>.py` (or in
`<group>/<module>.py` when `<name>` is `<module>_<suffix>`); a group folder holds check
modules only; support code sits in the domain folder and loads only when a check needs it.
The source is read with `ast` so that a check placed where the registry never looks is
found too, then compared with what the registry actually loads.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import homolog.suites
from homolog import registry
from homolog.checks import _suite_modules

SUITES = Path(homolog.suites.__file__).resolve().parent
PENDING_ARCH = "issue 13.3: fixed by the arch branch (the PSC simulator leaves suites/security/psc/)"


@dataclass(frozen=True)
class Module:
    name: str  # dotted import name
    path: Path
    checks: tuple[str, ...]  # ids of the @check decorators it holds
    code: bool  # holds more than a docstring


def _check_ids(tree: ast.Module, path: Path) -> tuple[str, ...]:
    ids = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for deco in node.decorator_list:
            func = deco.func if isinstance(deco, ast.Call) else None
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name != "check":
                continue
            assert isinstance(deco, ast.Call)
            first = deco.args[0] if deco.args else None
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                pytest.fail(f"{path}:{deco.lineno}: a check id must be a string literal, found {ast.unparse(deco)}")
            ids.append(first.value)
    return tuple(ids)


def _modules() -> dict[str, Module]:
    found = {}
    for path in sorted(SUITES.rglob("*.py")):
        rel = path.relative_to(SUITES).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        name = ".".join(("homolog.suites", *parts))
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        body = tree.body[1:] if tree.body and isinstance(tree.body[0], ast.Expr) else tree.body
        found[name] = Module(name, path, _check_ids(tree, path), code=bool(body))
    return found


MODULES = _modules()


def _depth(name: str) -> int:
    return name.count(".") - 1  # homolog.suites.<domain> is 1


def _groups() -> set[str]:
    """Sub-packages of a domain holding at least one check."""
    return {m.name.rsplit(".", 1)[0] for m in MODULES.values() if m.checks and _depth(m.name) == 3}


def _support_packages() -> set[str]:
    packages = {m.name for m in MODULES.values() if _depth(m.name) == 2 and m.path.name == "__init__.py"}
    return packages - _groups()


def _fits(check_id: str, module: str) -> bool:
    domain, group, name = check_id.split(".") if check_id.count(".") == 2 else ("", "", "")
    prefix = f"homolog.suites.{domain}.{group}."
    if not module.startswith(prefix) or "." in module[len(prefix) :]:
        return False
    stem = module[len(prefix) :]
    return name == stem or name.startswith(stem + "_")


STATIC_CHECKS = sorted((cid, m.name) for m in MODULES.values() for cid in m.checks)


def test_the_walk_finds_every_check() -> None:
    # Guards the parametrized tests below against an empty or partial scan.
    assert len(STATIC_CHECKS) >= 59
    assert len({cid for cid, _ in STATIC_CHECKS}) == len(STATIC_CHECKS), "a check id is declared twice"


@pytest.mark.parametrize(("check_id", "module"), STATIC_CHECKS, ids=[c for c, _ in STATIC_CHECKS])
def test_check_lives_where_its_id_says(check_id: str, module: str) -> None:
    domain, _, rest = check_id.partition(".")
    assert check_id.count(".") == 2, f"{check_id}: a built-in check id is <domain>.<group>.<name>"
    assert _fits(check_id, module), (
        f"{check_id} is declared in {MODULES[module].path.relative_to(SUITES.parent)}; it belongs in "
        f"suites/{domain}/{rest.replace('.', '/')}.py (several checks share <group>/<stem>.py "
        "only when their names are <stem>_<suffix>)"
    )


def _group_members() -> list[pytest.param]:
    pending = {
        "homolog.suites.security.psc",
        "homolog.suites.security.psc.control",
        "homolog.suites.security.psc.declare",
        "homolog.suites.security.psc.simulator",
    }
    members = []
    for m in MODULES.values():
        package = m.name if m.path.name == "__init__.py" else m.name.rsplit(".", 1)[0]
        if package in _groups() or package.rsplit(".", 1)[0] in _groups():
            marks = [pytest.mark.xfail(strict=True, reason=PENDING_ARCH)] if m.name in pending else []
            members.append(pytest.param(m.name, marks=marks, id=m.name.removeprefix("homolog.suites.")))
    return members


@pytest.mark.parametrize("name", _group_members())
def test_group_folder_holds_only_checks(name: str) -> None:
    module = MODULES[name]
    where = module.path.relative_to(SUITES.parent)
    if module.path.name == "__init__.py":
        assert _depth(name) == 2, f"{where}: a group folder has no sub-package"
        assert not module.code, f"{where}: a group's __init__.py holds its docstring only; move the code to support"
    else:
        assert module.checks, (
            f"{where} holds no check: support code sits in the domain folder "
            f"(suites/{name.split('.')[2]}/<what_it_does>.py), not in a group folder"
        )


def test_support_holds_no_check() -> None:
    misplaced = [
        f"{m.path.relative_to(SUITES.parent)}: {', '.join(m.checks)}"
        for m in MODULES.values()
        if m.checks and m.name.rsplit(".", 1)[0] not in _groups()
    ]
    assert not misplaced, "checks outside a group folder are never loaded: " + "; ".join(misplaced)


def test_every_domain_has_groups_and_no_other_layout() -> None:
    domains = {m.name for m in MODULES.values() if _depth(m.name) == 1 and m.path.name == "__init__.py"}
    assert domains >= {f"homolog.suites.{d}" for d in ("documents", "fhir", "identity", "security", "ui")}
    for domain in domains:
        groups = {g for g in _groups() if g.startswith(domain + ".")}
        assert groups, f"{domain} has no group folder with checks"
    for package in _support_packages():
        nested = [m.name for m in MODULES.values() if m.name.startswith(package + ".") and m.checks]
        assert not nested, f"support package {package} holds checks: {nested}"


def test_registry_walks_check_modules_and_fixtures_only() -> None:
    walked = {name for name in _suite_modules() if name.startswith("homolog.suites.")}
    holding_checks = {m.name for m in MODULES.values() if m.checks}
    assert holding_checks <= walked, f"check modules the registry never imports: {sorted(holding_checks - walked)}"
    for name in walked:
        parent = name.rsplit(".", 1)[0]
        fixtures = _depth(name) == 2 and name.endswith(".fixtures")
        assert fixtures or parent in _groups() | _support_packages(), f"the registry imports support module {name}"
    assert "homolog.suites.fhir.selftest" in MODULES and "homolog.suites.fhir.selftest" not in walked


def test_registered_checks_match_the_source() -> None:
    built_in = {spec.id: spec.module for spec in registry if spec.module.startswith("homolog.suites.")}
    assert built_in == dict(STATIC_CHECKS)
    assert not registry.load_errors


def _defining_module(class_name: str) -> str:
    # Found in the source folders, wherever the class lives (suites/ today, counterparts/ later).
    root = SUITES.parent
    for folder in ("suites", "counterparts", "fixtures", "runner"):
        for path in sorted((root / folder).rglob("*.py")):
            if f"\nclass {class_name}(" in path.read_text(encoding="utf-8"):
                return str(path.relative_to(root))
    raise AssertionError(f"class {class_name} is defined in no source folder")


_LOADED = """
import json, sys
from homolog import registry
registry.load()
print(json.dumps({name: getattr(m, "__file__", None) for name, m in sys.modules.items()}))
"""


@pytest.fixture(scope="module")
def loaded_with_registry() -> dict[str, str | None]:
    out = subprocess.run([sys.executable, "-c", _LOADED], capture_output=True, text=True, check=True, timeout=120)
    loaded: dict[str, str | None] = json.loads(out.stdout)
    return loaded


def _loaded_files(loaded: dict[str, str | None]) -> set[str]:
    root = SUITES.parent
    return {
        str(Path(f).resolve().relative_to(root))
        for f in loaded.values()
        if f and Path(f).resolve().is_relative_to(root)
    }


def test_loading_the_registry_leaves_the_fhir_selftest_alone(loaded_with_registry: dict[str, str | None]) -> None:
    assert "homolog.suites.fhir.selftest" not in loaded_with_registry
    assert "homolog.suites.fhir.profiles.resources_conform" in loaded_with_registry  # the load did happen


@pytest.mark.xfail(strict=True, reason=PENDING_ARCH)
def test_loading_the_registry_leaves_the_psc_simulator_alone(loaded_with_registry: dict[str, str | None]) -> None:
    simulator = _defining_module("PscSimulator")
    assert simulator not in _loaded_files(loaded_with_registry), f"{simulator} loads with the checks"
