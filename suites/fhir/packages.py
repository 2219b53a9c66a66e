"""FHIR packages: npm-style `.tgz` files and the package cache, indexed by canonical URL.

A FHIR package is a tarball (or a folder) whose `package/` directory holds
`package.json` and one JSON file per conformance resource. The HL7 validator and
SUSHI keep extracted packages in `~/.fhir/packages/<id>#<version>/package/`.

Where packages are looked up, in order:

1. the paths the target lists in `settings.fhir.packages` (`.tgz` files or folders),
2. the folders in `settings.fhir.package_folders` (set by `homolog run --fhir-packages`,
   or from the environment variable `HOMOLOG_FHIR_PACKAGES` by the front ends),
3. the cache `~/.fhir/packages`.

Nothing is ever downloaded: a package that is not found is a `PackageNotFound`
error that says where to put it. Dependencies of a loaded package are loaded when
they are present and listed in `Conformance.missing` otherwise (FR Core depends on
`hl7.fhir.r4.core`, which is not redistributed here: base R4 comes from fhirkit).

    FhirPackageError            a package cannot be used
    ├── PackageNotFound         not in any search location
    └── BadPackage              present but unreadable (not a tarball, no package.json ...)
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "ENV_VAR",
    "BadPackage",
    "Conformance",
    "FhirPackage",
    "FhirPackageError",
    "PackageNotFound",
    "default_search_path",
    "load_conformance",
    "load_package",
]

ENV_VAR = "HOMOLOG_FHIR_PACKAGES"

# Conformance resources we index; examples are kept apart.
INDEXED_TYPES = ("StructureDefinition", "ValueSet", "CodeSystem")
# A package file larger than this is refused: packages we need are a few MiB.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_PACKAGE_BYTES = 300 * 1024 * 1024


class FhirPackageError(Exception):
    """A FHIR package cannot be used."""


class PackageNotFound(FhirPackageError):
    """A FHIR package is in none of the search locations."""


class BadPackage(FhirPackageError):
    """A FHIR package is present but cannot be read."""


@dataclass
class FhirPackage:
    """One loaded package: its manifest, conformance resources and examples."""

    name: str
    version: str
    source: Path
    manifest: dict[str, Any]
    resources: list[dict[str, Any]] = field(default_factory=list)
    examples: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def dependencies(self) -> dict[str, str]:
        """Package id → version this package depends on."""
        deps = self.manifest.get("dependencies") or {}
        return {str(k): str(v) for k, v in deps.items()} if isinstance(deps, dict) else {}

    @property
    def key(self) -> str:
        """`id#version`, as in the package cache."""
        return f"{self.name}#{self.version}"


def _parse_json(data: bytes, where: str) -> dict[str, Any]:
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadPackage(f"{where}: not valid JSON ({exc})") from exc
    if not isinstance(obj, dict):
        raise BadPackage(f"{where}: expected a JSON object")
    return obj


def _add_file(pkg: FhirPackage, relpath: str, data: bytes) -> None:
    """File one `package/...` member into the package (conformance resource or example)."""
    parts = relpath.split("/")
    name = parts[-1]
    if not name.endswith(".json") or name in ("package.json", ".index.json"):
        return
    if len(parts) == 1:
        obj = _parse_json(data, f"{pkg.source}:{relpath}")
        if obj.get("resourceType") in INDEXED_TYPES:
            pkg.resources.append(obj)
    elif parts[0] == "example" and len(parts) == 2:
        pkg.examples[name] = _parse_json(data, f"{pkg.source}:{relpath}")


def _from_tgz(path: Path) -> FhirPackage:
    files: dict[str, bytes] = {}
    total = 0
    try:
        tar = tarfile.open(path, "r:gz")  # noqa: SIM115 - closed by the `with` below
    except (OSError, tarfile.TarError) as exc:
        raise BadPackage(f"{path}: not a readable .tgz FHIR package ({exc})") from exc
    with tar:
        for member in tar:
            # Only regular files under package/; never extract, so no path traversal.
            if not member.isfile() or not member.name.startswith("package/"):
                continue
            if member.size > MAX_FILE_BYTES:
                continue
            total += member.size
            if total > MAX_PACKAGE_BYTES:
                raise BadPackage(f"{path}: larger than {MAX_PACKAGE_BYTES} bytes")
            fh = tar.extractfile(member)
            if fh is not None:
                files[member.name[len("package/") :]] = fh.read()
    if "package.json" not in files:
        raise BadPackage(f"{path}: no package/package.json inside")
    manifest = _parse_json(files["package.json"], f"{path}:package/package.json")
    pkg = _new_package(manifest, path)
    for rel, data in files.items():
        _add_file(pkg, rel, data)
    return pkg


def _from_folder(path: Path) -> FhirPackage:
    root = path / "package" if (path / "package" / "package.json").is_file() else path
    manifest_path = root / "package.json"
    if not manifest_path.is_file():
        raise BadPackage(f"{path}: no package.json (expected {path}/package/package.json)")
    manifest = _parse_json(manifest_path.read_bytes(), str(manifest_path))
    pkg = _new_package(manifest, path)
    for file in sorted(root.glob("*.json")):
        if file.stat().st_size <= MAX_FILE_BYTES:
            _add_file(pkg, file.name, file.read_bytes())
    for file in sorted((root / "example").glob("*.json")):
        if file.stat().st_size <= MAX_FILE_BYTES:
            _add_file(pkg, f"example/{file.name}", file.read_bytes())
    return pkg


def _new_package(manifest: dict[str, Any], source: Path) -> FhirPackage:
    name, version = manifest.get("name"), manifest.get("version")
    if not isinstance(name, str) or not isinstance(version, str):
        raise BadPackage(f"{source}: package.json lacks 'name' or 'version'")
    return FhirPackage(name=name, version=version, source=source, manifest=manifest)


def load_package(path: Path | str) -> FhirPackage:
    """Load one package from a `.tgz` file or an extracted folder."""
    p = Path(path).expanduser()
    if p.is_dir():
        return _from_folder(p)
    if p.is_file():
        return _from_tgz(p)
    raise PackageNotFound(f"{p}: no such file or folder")


def default_search_path(extra: Sequence[Path | str] = ()) -> list[Path]:
    """Search locations in order: `extra` (the target's settings), then the cache."""
    paths = [Path(p).expanduser() for p in extra]
    paths.append(Path.home() / ".fhir" / "packages")
    return paths


def _candidates(location: Path, name: str, version: str | None) -> Iterable[Path]:
    """Paths at `location` that may hold `name` (at `version`, if given)."""
    if location.is_file():
        yield location
        return
    if not location.is_dir():
        return
    if (location / "package" / "package.json").is_file() or (location / "package.json").is_file():
        yield location  # an extracted package itself
        return
    # A cache folder (`id#version/`) or a folder of tarballs (`id-version.tgz`).
    pattern = f"{name}#{version}" if version else f"{name}#*"
    yield from sorted(location.glob(pattern), reverse=True)
    pattern = f"{name}-{version}.tgz" if version else f"{name}-*.tgz"
    yield from sorted(location.glob(pattern), reverse=True)


def _version_matches(wanted: str | None, actual: str) -> bool:
    if wanted is None or wanted in ("", "current", "latest"):
        return True
    if wanted.endswith(".x"):
        return actual.startswith(wanted[:-1])
    return wanted == actual


def find_package(name: str, version: str | None, search: Sequence[Path]) -> FhirPackage:
    """Find and load `name` (optionally `version`) in the search locations."""
    seen: set[Path] = set()
    for location in search:
        for cand in _candidates(location, name, version):
            if cand in seen:
                continue
            seen.add(cand)
            try:
                pkg = load_package(cand)
            except FhirPackageError:
                if location == cand:  # a path the user named explicitly must be readable
                    raise
                continue
            if pkg.name == name and _version_matches(version, pkg.version):
                return pkg
    want = f"{name}#{version}" if version else name
    where = "\n  ".join(str(p) for p in search)
    tgz = f"{name}-{version or '<version>'}.tgz"
    raise PackageNotFound(
        f"FHIR package {want} not found. Searched:\n  {where}\n"
        f"Put the package file ({tgz}) in a folder listed in settings.fhir.packages of the "
        f"target, in a folder of settings.fhir.package_folders (homolog run --fhir-packages, env {ENV_VAR}), "
        "or extract it to "
        f"~/.fhir/packages/{name}#{version or '<version>'}/package/. "
        "homolog never downloads packages."
    )


@dataclass
class Conformance:
    """Conformance resources of loaded packages, indexed by canonical URL (and version)."""

    packages: list[FhirPackage] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)
    _index: dict[tuple[str, str], dict[str, dict[str, Any]]] = field(default_factory=dict)

    def add(self, pkg: FhirPackage) -> None:
        """Index a package's StructureDefinitions, ValueSets and CodeSystems."""
        self.packages.append(pkg)
        for res in pkg.resources:
            url = res.get("url")
            if not isinstance(url, str):
                continue
            by_url = self._index.setdefault((res["resourceType"], url), {})
            by_url[str(res.get("version", ""))] = res

    def _get(self, rtype: str, canonical: str) -> dict[str, Any] | None:
        url, _, version = canonical.partition("|")
        by_url = self._index.get((rtype, url))
        if not by_url:
            return None
        if version and version in by_url:
            return by_url[version]
        # No version asked for (or not loaded): the last one loaded wins, as in the HL7 tools.
        return list(by_url.values())[-1]

    def structure_definition(self, canonical: str) -> dict[str, Any] | None:
        """The StructureDefinition at `canonical` (`url` or `url|version`), if loaded."""
        return self._get("StructureDefinition", canonical)

    def value_set(self, canonical: str) -> dict[str, Any] | None:
        """The ValueSet at `canonical`, if loaded."""
        return self._get("ValueSet", canonical)

    def code_system(self, canonical: str) -> dict[str, Any] | None:
        """The CodeSystem at `canonical`, if loaded."""
        return self._get("CodeSystem", canonical)

    def canonicals(self, rtype: str) -> list[str]:
        """Every loaded canonical URL of a resource type."""
        return sorted(url for (t, url) in self._index if t == rtype)

    def examples(self) -> dict[str, dict[str, Any]]:
        """Examples shipped in the loaded packages, by file name."""
        out: dict[str, dict[str, Any]] = {}
        for pkg in self.packages:
            out.update(pkg.examples)
        return out


def load_conformance(
    requested: Sequence[str | Path],
    *,
    search: Sequence[Path | str] = (),
) -> Conformance:
    """Load packages and their present dependencies into one index.

    `requested` items are paths (`.tgz` or folders) or package ids (`id` or
    `id#version`) looked up in `default_search_path(search)`.
    """
    locations = default_search_path(search)
    conf = Conformance()
    queue: list[FhirPackage] = []
    for item in requested:
        text = str(item)
        p = Path(text).expanduser()
        if p.exists() or "/" in text or text.endswith(".tgz"):
            queue.append(load_package(p))
        else:
            name, _, version = text.partition("#")
            queue.append(find_package(name, version or None, locations))
    loaded: set[str] = set()
    while queue:
        pkg = queue.pop(0)
        if pkg.name in loaded:
            continue
        loaded.add(pkg.name)
        conf.add(pkg)
        for dep, ver in pkg.dependencies.items():
            if dep in loaded:
                continue
            try:
                queue.append(find_package(dep, ver, locations))
            except PackageNotFound:
                conf.missing[dep] = ver
    return conf
