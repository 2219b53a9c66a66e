#!/usr/bin/env python3
"""mypy --strict over the package `homolog` as it is installed, from the source folders.

setup.py maps source folders to import names (`runner/` is `homolog`, `suites/` is
`homolog.suites`, ...). mypy resolves imports from folders, not from that mapping, so this
script builds the installed tree in a temporary directory, one symlink per `.py` and
`py.typed` file, runs `mypy --strict -p homolog` there with the project's settings
(pyproject.toml), and prints the findings with the source paths (`suites/fhir/api.py`),
not the temporary ones.

Then the benchmarks (`bench/*.py`, scripts run on demand, so nothing else runs them): a
second `mypy --strict` over those files, against the same installed tree (and the test
helpers they borrow, `tests/reports`). A benchmark calling what the package no longer has
fails here, not on the day someone needs its figures.

    .venv/bin/python scripts/typecheck.py [extra mypy options]

Exit status: 0 when both passes find no error (mypy's status otherwise). tests/test_tooling.py
runs it.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def package_roots(repo: Path = REPO) -> dict[str, str]:
    """Import name → source folder, read from the ROOTS mapping of setup.py (the one place)."""
    tree = ast.parse((repo / "setup.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "ROOTS" for t in node.targets):
            roots = ast.literal_eval(node.value)
            if isinstance(roots, dict):
                return {str(name): str(folder) for name, folder in roots.items()}
    raise SystemExit(f"{repo / 'setup.py'}: no ROOTS = {{import name: folder}} mapping found")


def build_tree(dest: Path, repo: Path = REPO) -> dict[str, str]:
    """Symlink every .py and py.typed file of the source folders under `dest`, installed-style.

    Returns {path in the tree: path in the checkout}, both relative, to translate mypy's output.
    """
    links: dict[str, str] = {}
    for name, folder in package_roots(repo).items():
        source = repo / folder
        if not source.is_dir():
            continue
        target = dest.joinpath(*name.split("."))
        for path in sorted(source.rglob("*")):
            if path.suffix != ".py" and path.name != "py.typed":
                continue
            rel = path.relative_to(source)
            if "__pycache__" in rel.parts:
                continue
            link = target / rel
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path)
            links[str(link.relative_to(dest))] = str(path.relative_to(repo))
    return links


#: Folders of the checkout whose modules the benchmarks import by path (`sys.path.insert`).
BENCH_HELPERS = ("tests/reports",)


def _mypy(tmp: str, targets: list[str], argv: list[str], links: dict[str, str], **env: str) -> int:
    cmd = [
        sys.executable,
        "-m",
        "mypy",
        "--config-file",
        str(REPO / "pyproject.toml"),
        "--strict",
        "--cache-dir",
        os.devnull,
        *targets,
        *argv,
    ]
    proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, check=False, env={**os.environ, **env})
    for line in (proc.stdout + proc.stderr).splitlines():
        where, sep, rest = line.partition(":")
        where = links.get(where, where)
        if where.startswith(str(REPO) + os.sep):
            where = where[len(str(REPO)) + 1 :]
        print(f"{where}{sep}{rest}")
    return proc.returncode


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="homolog-typecheck-") as tmp:
        links = build_tree(Path(tmp))
        package = _mypy(tmp, ["-p", "homolog"], argv, links)
        benches = sorted(str(p) for p in (REPO / "bench").glob("*.py"))
        path = os.pathsep.join([tmp, *(str(REPO / folder) for folder in BENCH_HELPERS)])
        bench = _mypy(tmp, benches, argv, links, MYPYPATH=path) if benches else 0
    return package or bench


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
