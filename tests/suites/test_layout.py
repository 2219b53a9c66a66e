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
from pathlib import Path

import pytest
from sourcetree import REPO, SourceModule, source_modules

from homolog import registry
from homolog.checks import _suite_modules

MODULES: dict[str, SourceModule] = {n: m for n, m in source_modules().items() if n.startswith("homolog.suites")}


def _depth(name: str) -> int:
    return name.count(".") - 1  # homolog.suites.<domain> is 1


# Sub-packages of a domain holding at least one check; the others are support packages.
GROUPS = {m.name.rsplit(".", 1)[0] for m in MODULES.values() if m.checks and _depth(m.name) == 3}
SUPPORT_PACKAGES = {m.name for m in MODULES.values() if _depth(m.name) == 2 and m.is_package} - GROUPS


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
        f"{check_id} is declared in {MODULES[module].rel}; it belongs in "
        f"suites/{domain}/{rest.replace('.', '/')}.py (several checks share <group>/<stem>.py "
        "only when their names are <stem>_<suffix>)"
    )


def _group_members() -> list[pytest.param]:
    members = []
    for m in MODULES.values():
        package = m.name if m.is_package else m.name.rsplit(".", 1)[0]
        if package in GROUPS or package.rsplit(".", 1)[0] in GROUPS:
            members.append(pytest.param(m.name, id=m.name.removeprefix("homolog.suites.")))
    return members


@pytest.mark.parametrize("name", _group_members())
def test_group_folder_holds_only_checks(name: str) -> None:
    module = MODULES[name]
    where = module.rel
    if module.is_package:
        assert _depth(name) == 2, f"{where}: a group folder has no sub-package"
        assert not module.code, f"{where}: a group's __init__.py holds its docstring only; move the code to support"
    else:
        assert module.checks, (
            f"{where} holds no check: support code sits in the domain folder "
            f"(suites/{name.split('.')[2]}/<what_it_does>.py), not in a group folder"
        )


def test_support_holds_no_check() -> None:
    misplaced = [
        f"{m.rel}: {', '.join(m.checks)}"
        for m in MODULES.values()
        if m.checks and m.name.rsplit(".", 1)[0] not in GROUPS
    ]
    assert not misplaced, "checks outside a group folder are never loaded: " + "; ".join(misplaced)


def test_every_domain_has_groups_and_no_other_layout() -> None:
    domains = {m.name for m in MODULES.values() if _depth(m.name) == 1 and m.is_package}
    assert domains >= {f"homolog.suites.{d}" for d in ("documents", "fhir", "identity", "security", "ui")}
    for domain in domains:
        groups = {g for g in GROUPS if g.startswith(domain + ".")}
        assert groups, f"{domain} has no group folder with checks"
    for package in SUPPORT_PACKAGES:
        nested = [m.name for m in MODULES.values() if m.name.startswith(package + ".") and m.checks]
        assert not nested, f"support package {package} holds checks: {nested}"


def test_registry_walks_check_modules_and_fixtures_only() -> None:
    walked = {name for name in _suite_modules() if name.startswith("homolog.suites.")}
    holding_checks = {m.name for m in MODULES.values() if m.checks}
    assert holding_checks <= walked, f"check modules the registry never imports: {sorted(holding_checks - walked)}"
    for name in walked:
        parent = name.rsplit(".", 1)[0]
        fixtures = _depth(name) == 2 and name.endswith(".fixtures")
        assert fixtures or parent in GROUPS | SUPPORT_PACKAGES, f"the registry imports support module {name}"
    assert "homolog.suites.fhir.selftest" in MODULES and "homolog.suites.fhir.selftest" not in walked


def test_registered_checks_match_the_source() -> None:
    built_in = {spec.id: spec.module for spec in registry if spec.module.startswith("homolog.suites.")}
    assert built_in == dict(STATIC_CHECKS)
    assert not registry.load_errors


def _defining_module(class_name: str) -> str:
    # Wherever the class lives (counterparts/ today): the test follows it if it moves.
    for module in source_modules().values():
        if any(isinstance(node, ast.ClassDef) and node.name == class_name for node in module.tree.body):
            return module.rel
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
    files = [Path(f).resolve() for f in loaded.values() if f]
    return {str(f.relative_to(REPO)) for f in files if f.is_relative_to(REPO)}


def test_loading_the_registry_leaves_the_fhir_selftest_alone(loaded_with_registry: dict[str, str | None]) -> None:
    assert "homolog.suites.fhir.selftest" not in loaded_with_registry
    assert "homolog.suites.fhir.profiles.resources_conform" in loaded_with_registry  # the load did happen


def test_loading_the_registry_leaves_the_psc_simulator_alone(loaded_with_registry: dict[str, str | None]) -> None:
    simulator = _defining_module("PscSimulator")
    assert simulator not in _loaded_files(loaded_with_registry), f"{simulator} loads with the checks"


_ASKED = """
import json, sys
from homolog import registry
try:
    found = registry.get(sys.argv[1]).module
except KeyError as exc:
    found = "KeyError: " + str(exc.args[0])
print(json.dumps({"found": found, "loaded": sorted(sys.modules)}))
"""


def _asked(check_id: str) -> tuple[str, set[str]]:
    """What asking a fresh process's registry for `check_id` found, and the modules then loaded."""
    out = subprocess.run(
        [sys.executable, "-c", _ASKED, check_id], capture_output=True, text=True, check=True, timeout=120
    )
    answer = json.loads(out.stdout)
    return answer["found"], set(answer["loaded"])


@pytest.mark.parametrize(
    ("check_id", "module"),
    [
        ("security.headers.hsts", "homolog.suites.security.headers.hsts"),
        # a module of the group registering several checks (<stem>_<suffix>)
        ("fhir.metadata.declares_profiles", "homolog.suites.fhir.metadata.declares"),
    ],
)
def test_asking_for_a_check_imports_its_group_not_every_suite(check_id: str, module: str) -> None:
    found, loaded = _asked(check_id)
    assert found == module
    domain, group, _ = check_id.split(".")
    check_modules = {m.name for m in MODULES.values() if m.checks}
    assert {m for m in check_modules if m.startswith(f"homolog.suites.{domain}.{group}.")} <= loaded
    others = {m for m in check_modules & loaded if not m.startswith(f"homolog.suites.{domain}.{group}.")}
    assert not others, f"asking for {check_id} imported other groups' checks: {sorted(others)}"
    assert "pydicom" not in loaded  # the imaging suite's dependency, never needed here


def test_a_check_its_group_does_not_hold_is_looked_for_in_every_suite() -> None:
    found, loaded = _asked("security.headers.hstss")
    assert found.startswith("KeyError: unknown check 'security.headers.hstss'")
    assert "did you mean 'security.headers.hsts'" in found
    assert {m.name for m in MODULES.values() if m.checks} <= loaded  # all of them, then
