"""FHIR packages: npm-style `.tgz` files and the package cache, indexed by canonical URL.

A FHIR package is a tarball (or a folder) whose `package/` directory holds
`package.json` and one JSON file per conformance resource. The HL7 validator and
SUSHI keep extracted packages in `~/.fhir/packages/<id>#<version>/package/`.

Where packages are looked up, in order:

1. the paths the target lists in `settings.fhir.packages` (`.tgz` files or folders),
2. the folders in `settings.fhir.package_folders` (set by `homolog run --fhir-packages`,
   or from the environment variable `HOMOLOG_FHIR_PACKAGES` by the front ends),
3. the cache `~/.fhir/packages`,
4. the packages shipped with homolog (`suites/fhir/data/`: FR Core 2.2.0 and
   hl7.fhir.r4.core 4.0.1, both CC0), so that a bare install validates.

A run never downloads anything: a package that is not found is a `PackageNotFound`
error that says where to put it (`homolog materials fetch fhir` installs FR Core's
pinned dependency packages in `~/.fhir/packages`). Dependencies of a loaded package are loaded when
they are present and listed in `Conformance.missing` otherwise, each with what its
absence weakens (`Conformance.missing_dependencies()`): a visible caveat, never a
silent pass.

    FhirPackageError            a package cannot be used
    ├── PackageNotFound         not in any search location
    └── BadPackage              present but unreadable (not a tarball, no package.json ...)
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from homolog import cache_root, fetch_command

__all__ = [
    "ENV_VAR",
    "SHIPPED_DIR",
    "BadPackage",
    "Conformance",
    "Deferred",
    "FhirPackage",
    "FhirPackageError",
    "MissingDependency",
    "PackageNotFound",
    "default_search_path",
    "load_conformance",
    "load_package",
]

ENV_VAR = "HOMOLOG_FHIR_PACKAGES"
# Packages shipped inside homolog (CC0): the last place looked in.
SHIPPED_DIR = Path(__file__).resolve().parent / "data"

# Conformance resources we index; examples are kept apart.
INDEXED_TYPES = ("StructureDefinition", "ValueSet", "CodeSystem", "SearchParameter")

# What the validator cannot check when a well-known dependency is absent.
_WEAKENED_BY_MISSING: dict[str, str] = {
    "hl7.fhir.r4.core": (
        "base R4 rules (datatype invariants, core value sets and code systems, primitive formats "
        "beyond fhirkit's, extension definitions of the core specification)"
    ),
    "hl7.terminology.r4": (
        "bindings to terminology.hl7.org value sets and code systems (checked against the older "
        "copies in hl7.fhir.r4.core at most, unknown codes there are warnings)"
    ),
    "hl7.fhir.uv.extensions.r4": (
        "extensions of the HL7 extension pack (http://hl7.org/fhir/StructureDefinition/...) that "
        "the core package does not define: not checked against their definitions, a warning"
    ),
    "hl7.fhir.uv.extensions": (
        "extensions of the HL7 extension pack (http://hl7.org/fhir/StructureDefinition/...) that "
        "the core package does not define: not checked against their definitions, a warning"
    ),
    "ans.fr.terminologies": (
        "bindings to ANS terminologies (TRE_*, JDV_* value sets and code systems, e.g. INSEE "
        "codes, professions): codes not checked, reported as information"
    ),
}
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
class Deferred:
    """A conformance resource listed in the package's `.index.json`, read when first asked for.

    The core package holds 4,500 resources and a validation reads a few hundred of them.
    """

    resource_type: str
    url: str
    version: str
    where: str
    data: bytes | None = None
    path: Path | None = None
    # In the unpacked copy of a tarball: `length` bytes at `offset` of the copy, held open.
    blob: _Blob | None = None
    offset: int = 0
    length: int = 0

    def load(self) -> dict[str, Any] | None:
        """The resource (None when it does not say what the index said: it is not used)."""
        try:
            if self.data is not None:
                raw = self.data
            elif self.blob is not None:
                raw = self.blob.read(self.offset, self.length)
            else:
                raw = self.path.read_bytes() if self.path else b""
        except OSError as exc:  # (a folder package, or the unpacked copy of a tarball, changed since)
            raise BadPackage(f"{self.where}: cannot be read from {self.path} ({exc})") from exc
        obj = _parse_json(raw, self.where)
        if obj.get("resourceType") != self.resource_type or obj.get("url") != self.url:
            return None
        return obj


class _Blob:
    """The `members.bin` of an unpacked copy, open for as long as a package reads from it (the
    cache emptied during a run cannot take resources away from it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        self._close = weakref.finalize(self, os.close, self.fd)

    def read(self, offset: int, length: int) -> bytes:
        raw = os.pread(self.fd, length, offset)  # (no shared file position: safe from threads)
        if len(raw) != length:
            raise OSError(f"{self.path}: {length} bytes at offset {offset} expected, {len(raw)} found")
        return raw


@dataclass
class FhirPackage:
    """One loaded package: its manifest, conformance resources and examples."""

    name: str
    version: str
    source: Path
    manifest: dict[str, Any]
    resources: list[dict[str, Any]] = field(default_factory=list)
    examples: dict[str, dict[str, Any]] = field(default_factory=dict)
    deferred: list[Deferred] = field(default_factory=list)

    def conformance_resources(self) -> list[dict[str, Any]]:
        """Every indexed conformance resource, deferred ones read now."""
        loaded = [d.load() for d in self.deferred]
        return self.resources + [r for r in loaded if r is not None]

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


def _index_entries(pkg: FhirPackage, raw: bytes | None) -> dict[str, Deferred]:
    """File name → deferred resource, from a `.index.json` (empty when there is none usable)."""
    if raw is None:
        return {}
    try:
        index = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return {}  # a broken index only costs the speed-up: files are read as usual
    files = index.get("files") if isinstance(index, dict) else None
    out: dict[str, Deferred] = {}
    for f in files if isinstance(files, list) else []:
        if not isinstance(f, dict):
            continue
        name, rtype, url = f.get("filename"), f.get("resourceType"), f.get("url")
        if isinstance(name, str) and "/" not in name and rtype in INDEXED_TYPES and isinstance(url, str):
            out[name] = Deferred(str(rtype), url, str(f.get("version") or ""), f"{pkg.source}:{name}")
    return out


def _add_file(pkg: FhirPackage, relpath: str, data: bytes, index: dict[str, Deferred] | None = None) -> None:
    """File one `package/...` member into the package (conformance resource or example)."""
    parts = relpath.split("/")
    name = parts[-1]
    if not name.endswith(".json") or name in ("package.json", ".index.json"):
        return
    if len(parts) == 1 and index and name in index:
        index[name].data = data
        pkg.deferred.append(index[name])
        return
    if len(parts) == 1:
        obj = _parse_json(data, f"{pkg.source}:{relpath}")
        if obj.get("resourceType") in INDEXED_TYPES:
            pkg.resources.append(obj)
    elif parts[0] == "example" and len(parts) == 2:
        pkg.examples[name] = _parse_json(data, f"{pkg.source}:{relpath}")


def _from_tgz(path: Path) -> FhirPackage:
    try:
        if path.stat().st_size > MAX_PACKAGE_BYTES:  # (read whole below: bounded first)
            raise BadPackage(f"{path}: larger than {MAX_PACKAGE_BYTES} bytes")
        raw = path.read_bytes()
    except OSError as exc:
        raise BadPackage(f"{path}: not a readable .tgz FHIR package ({exc})") from exc
    copy = _unpacked_copy(raw)
    unusable = False
    if copy is not None:
        pkg = _from_unpacked(path, copy)
        if pkg is not None:
            return pkg
        unusable = copy.exists()
    files = _tgz_members(path, raw)
    pkg = _package_from_members(path, files)
    if copy is not None:
        # (only a package that loaded: a broken one is never copied; a copy there that could
        # not be used is replaced, or every later load would pay the tarball and a copy)
        _unpack(copy, files, replace=unusable)
    return pkg


def _tgz_members(path: Path, raw: bytes) -> dict[str, bytes]:
    """`package/...` member path (without `package/`) -> its bytes, in the tarball's order."""
    files: dict[str, bytes] = {}
    total = 0
    try:
        tar = tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz")  # noqa: SIM115 - closed by the `with` below
    except (OSError, tarfile.TarError) as exc:
        raise BadPackage(f"{path}: not a readable .tgz FHIR package ({exc})") from exc
    with tar:
        for member in tar:
            # Only regular files under package/; never extracted as named (`_unpack` copies
            # only plain names), so no path traversal.
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
    return files


def _package_from_members(path: Path, files: dict[str, bytes]) -> FhirPackage:
    if "package.json" not in files:
        raise BadPackage(f"{path}: no package/package.json inside")
    manifest = _parse_json(files["package.json"], f"{path}:package/package.json")
    pkg = _new_package(manifest, path)
    index = _index_entries(pkg, files.get(".index.json"))
    for rel, data in files.items():
        _add_file(pkg, rel, data, index)
    return pkg


# A `.tgz` package is unpacked once into homolog's cache (`$HOMOLOG_CACHE_DIR/fhir-packages/
# <SHA-256 of the tarball>/`), and later loads read that copy: decompressing the core
# package and reading its 4,600 tar headers costs 0.25 s of CPU in every process that
# validates FHIR, and kept every indexed resource's bytes in memory (40 MB) where the copy
# reads the few hundred a validation asks for. The copy is two files, not one per member
# (creating thousands of files is what a loaded disk does slowest): `members.bin`, the bytes
# of the members a load uses (`_used`) end to end, and `members.json`, written last, their
# names, offsets and lengths in the tarball's order, so that a load from the copy gives
# exactly the package the tarball gives (the last resource of a URL wins). The folder
# appears whole or not at all (made aside, then renamed); a copy that does not read as
# written, or a cache that cannot be written, only costs the speed-up: the tarball is read
# as before, and a copy found unusable is replaced by a new one (moved aside, then removed;
# a package already reading it keeps its open file). Keyed by content, a tarball replaced at
# the same path gets a copy of its own; `members.json` names the layout (`_LAYOUT`), so a
# copy another version of this code wrote differently is replaced, never misread.
UNPACKED_DIR = "fhir-packages"
_MEMBERS = "members.json"
_BLOB = "members.bin"
_LAYOUT = "homolog.fhir-package-copy/1"


def _unpacked_copy(raw: bytes) -> Path | None:
    """Where the unpacked copy of the tarball `raw` is, or goes (None: no cache folder)."""
    try:
        return cache_root() / UNPACKED_DIR / hashlib.sha256(raw).hexdigest()
    except RuntimeError:  # no home folder to put the cache in
        return None


def _used(rel: str) -> bool:
    """A member a load reads: the manifest, the index, top-level and example JSON files."""
    parts = rel.split("/")
    return rel.endswith(".json") and (len(parts) == 1 or (len(parts) == 2 and parts[0] == "example"))


def _unpack(folder: Path, files: dict[str, bytes], *, replace: bool = False) -> None:
    """Write the unpacked copy of a package's members (best effort, see `UNPACKED_DIR`);
    `replace`: the copy at `folder` could not be used, the new one takes its place."""
    listed: list[tuple[str, int, int]] = []
    staging: Path | None = None
    aside: Path | None = None
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
        offset = 0
        with (staging / _BLOB).open("wb") as blob:
            for rel, data in files.items():
                if _used(rel):
                    blob.write(data)
                    listed.append((rel, offset, len(data)))
                    offset += len(data)
        (staging / _MEMBERS).write_text(json.dumps({"layout": _LAYOUT, "members": listed, "size": offset}), "utf-8")
        if replace:
            aside = staging.with_name(f"{staging.name}-unusable")
            try:
                folder.rename(aside)
            except OSError:
                aside = None  # (another process moved it first, or it is gone)
        staging.rename(folder)  # (fails when another process made it first: theirs is kept)
        staging = None
    except OSError:
        pass
    finally:
        for leftover in (staging, aside):
            if leftover is not None:
                shutil.rmtree(leftover, ignore_errors=True)


def _from_unpacked(source: Path, folder: Path) -> FhirPackage | None:
    """The package of the tarball `source` from its unpacked copy (None: no usable copy)."""
    try:
        listed = json.loads((folder / _MEMBERS).read_bytes())
        if listed["layout"] != _LAYOUT:
            return None
        members = {str(rel): (int(offset), int(length)) for rel, offset, length in listed["members"]}
        blob = _Blob(folder / _BLOB)
        size = os.fstat(blob.fd).st_size
        if size != listed["size"] or any(o < 0 or n < 0 or o + n > size for o, n in members.values()):
            return None  # (a copy cut short, or listing bytes it does not hold)

        def read(rel: str) -> bytes:
            return blob.read(*members[rel])

        manifest = _parse_json(read("package.json"), f"{source}:package/package.json")
        pkg = _new_package(manifest, source)
        index = _index_entries(pkg, read(".index.json") if ".index.json" in members else None)
        for rel, (offset, length) in members.items():
            if rel in index:
                entry = index[rel]
                entry.path, entry.blob, entry.offset, entry.length = blob.path, blob, offset, length
                pkg.deferred.append(entry)
            elif rel not in ("package.json", ".index.json"):
                _add_file(pkg, rel, read(rel))
    except (OSError, ValueError, KeyError, TypeError, FhirPackageError):
        return None
    return pkg


def _from_folder(path: Path) -> FhirPackage:
    root = path / "package" if (path / "package" / "package.json").is_file() else path
    manifest_path = root / "package.json"
    if not manifest_path.is_file():
        raise BadPackage(f"{path}: no package.json (expected {path}/package/package.json)")
    manifest = _parse_json(manifest_path.read_bytes(), str(manifest_path))
    pkg = _new_package(manifest, path)
    index_file = root / ".index.json"
    index = _index_entries(pkg, index_file.read_bytes() if index_file.is_file() else None)
    for file in sorted(root.glob("*.json")):
        if file.stat().st_size > MAX_FILE_BYTES:
            continue
        if file.name in index:
            index[file.name].path = file
            pkg.deferred.append(index[file.name])
        else:
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
    """Search locations in order: `extra` (the target's settings), the cache, the shipped packages."""
    paths = [Path(p).expanduser() for p in extra]
    paths.append(Path.home() / ".fhir" / "packages")
    paths.append(SHIPPED_DIR)
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
        f"`{fetch_command('fhir')}` installs the pinned dependency packages of FR Core there; "
        "a run never downloads packages."
    )


@dataclass(frozen=True)
class MissingDependency:
    """A package a loaded package depends on that is in no search location."""

    name: str
    version: str
    required_by: tuple[str, ...]
    weakens: str

    @property
    def key(self) -> str:
        """`id#version`."""
        return f"{self.name}#{self.version}"

    def to_json(self) -> dict[str, Any]:
        """A plain mapping for evidence and reports."""
        return {
            "package": self.key,
            "required_by": list(self.required_by),
            "weakens": self.weakens,
        }


@dataclass
class Conformance:
    """Conformance resources of loaded packages, indexed by canonical URL (and version)."""

    packages: list[FhirPackage] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)
    required_by: dict[str, list[str]] = field(default_factory=dict)
    _index: dict[tuple[str, str], dict[str, dict[str, Any] | Deferred]] = field(default_factory=dict)

    def add(self, pkg: FhirPackage) -> None:
        """Index a package's StructureDefinitions, ValueSets, CodeSystems and SearchParameters."""
        self.packages.append(pkg)
        for res in pkg.resources:
            url = res.get("url")
            if not isinstance(url, str):
                continue
            by_url = self._index.setdefault((res["resourceType"], url), {})
            by_url[str(res.get("version", ""))] = res
        for d in pkg.deferred:
            self._index.setdefault((d.resource_type, d.url), {})[d.version] = d

    def _get(self, rtype: str, canonical: str) -> dict[str, Any] | None:
        url, _, version = canonical.partition("|")
        by_url = self._index.get((rtype, url))
        if not by_url:
            return None
        # No version asked for (or not loaded): the last one loaded wins, as in the HL7 tools.
        key = version if version and version in by_url else list(by_url)[-1]
        found = by_url[key]
        if isinstance(found, Deferred):
            loaded = found.load()
            if loaded is None:
                del by_url[key]
                return self._get(rtype, canonical)
            by_url[key] = found = loaded
        return found

    def structure_definition(self, canonical: str) -> dict[str, Any] | None:
        """The StructureDefinition at `canonical` (`url` or `url|version`), if loaded."""
        return self._get("StructureDefinition", canonical)

    def value_set(self, canonical: str) -> dict[str, Any] | None:
        """The ValueSet at `canonical`, if loaded."""
        return self._get("ValueSet", canonical)

    def code_system(self, canonical: str) -> dict[str, Any] | None:
        """The CodeSystem at `canonical`, if loaded."""
        return self._get("CodeSystem", canonical)

    def search_parameter(self, canonical: str) -> dict[str, Any] | None:
        """The SearchParameter at `canonical`, if loaded."""
        return self._get("SearchParameter", canonical)

    def by_name(self, rtype: str, name: str) -> list[dict[str, Any]]:
        """Resources of `rtype` whose id or name is `name` (short profile names)."""
        out: list[dict[str, Any]] = []
        for t, url in [k for k in self._index if k[0] == rtype]:
            res = self._get(t, url)
            if res is not None and name in (res.get("id"), res.get("name")) and res not in out:
                out.append(res)
        return out

    def missing_dependencies(self) -> list[MissingDependency]:
        """Dependencies not found, each with the packages needing it and what it weakens."""
        return [
            MissingDependency(
                name,
                version,
                tuple(self.required_by.get(name, [])),
                _WEAKENED_BY_MISSING.get(name, f"definitions of {name} are not checked"),
            )
            for name, version in sorted(self.missing.items())
        ]

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
        if p.is_dir() and not _is_package_folder(p):
            # A folder of packages (tarballs or `id#version/` folders): load them all.
            found = [load_package(c) for c in _packages_in(p)]
            if not found:
                raise BadPackage(
                    f"{p}: not a FHIR package (no package/package.json nor package.json) "
                    "and no package (*.tgz, id#version/) inside"
                )
            queue += found
            locations.insert(0, p)
        elif p.exists() or "/" in text or text.endswith(".tgz"):
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
            conf.required_by.setdefault(dep, []).append(pkg.key)
            if dep in loaded or any(q.name == dep for q in queue):
                continue
            try:
                queue.append(find_package(dep, ver, locations))
            except PackageNotFound:
                conf.missing[dep] = ver
    for name in loaded:
        conf.missing.pop(name, None)
    return conf


def _is_package_folder(path: Path) -> bool:
    return (path / "package" / "package.json").is_file() or (path / "package.json").is_file()


def _packages_in(folder: Path) -> list[Path]:
    """Packages directly inside a folder: `*.tgz` files and `id#version/` folders."""
    return sorted(
        [f for f in folder.glob("*.tgz") if f.is_file()]
        + [d for d in folder.iterdir() if d.is_dir() and _is_package_folder(d)]
    )
