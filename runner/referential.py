"""Referentials: the versioned YAML lists of requirements of a certification programme.

`load_referential(spec)` finds a referential (a path, `id`, or `id@version`) on the
search path, validates it against `referential.schema.json`, resolves its `include`s
(with `select` / `exclude` glob patterns and extra `applies_to`) and returns an
immutable `Referential` whose `requirements` are the resolved list.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .errors import Problem, ReferentialError
from .schemas import schema_problems
from .yamlsafe import Located, load_yaml

__all__ = [
    "Attestation",
    "CheckRef",
    "Include",
    "Referential",
    "Requirement",
    "Source",
    "Text",
    "builtin_root",
    "find_referentials",
    "load_referential",
    "search_path",
]


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Plain JSON-able copy of a frozen structure."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class Text:
    """A normative text, French first, English optional."""

    fr: str
    en: str | None = None

    @classmethod
    def of(cls, value: Any) -> Text | None:
        if value is None:
            return None
        if isinstance(value, str):
            return cls(value)
        return cls(value["fr"], value.get("en"))

    def get(self, lang: str = "fr") -> str:
        return (self.en or self.fr) if lang == "en" else self.fr

    def to_json(self) -> dict[str, str | None]:
        return {"fr": self.fr, "en": self.en}


@dataclass(frozen=True)
class Source:
    """Where a requirement is published."""

    document: str
    section: str | None = None
    version: str | None = None
    url: str | None = None
    reference: str | None = None
    to_confirm: str | None = None  # why the id/numbering is not confirmed against the published text

    def to_json(self) -> dict[str, str | None]:
        out = {k: getattr(self, k) for k in ("document", "section", "version", "url", "reference")}
        if self.to_confirm:  # absent when unset: the digest of older referentials stays
            out["to_confirm"] = self.to_confirm
        return out


@dataclass(frozen=True)
class CheckRef:
    """A requirement's use of a check: its id, the parameters (`with:`) and, rarely, the
    targets it applies to (`applies_to:` of the check reference: a check that verifies
    one part of a requirement, e.g. its FHIR API, where the target has that part)."""

    check: str
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    label: str | None = None
    applies_to: Mapping[str, tuple[Any, ...]] = field(default_factory=lambda: MappingProxyType({}))

    def to_json(self) -> dict[str, Any]:
        out = {"check": self.check, "params": self.params_json, "label": self.label}
        if self.applies_to:  # absent when empty: the digest of older referentials stays
            out["applies_to"] = thaw(self.applies_to)
        return out

    @property
    def params_json(self) -> dict[str, Any]:
        return thaw(self.params)  # type: ignore[no-any-return]

    @cached_property
    def params_digest(self) -> str:
        """A short digest of the parameters (case keys, slugs): computed once per reference."""
        blob = json.dumps(self.params_json, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:8]


@dataclass(frozen=True)
class Attestation:
    """Manual evidence the vendor supplies and an auditor reviews."""

    evidence: Text
    scenario: Text | None = None
    proofs: tuple[Text, ...] = ()


@dataclass(frozen=True)
class Requirement:
    """One requirement of a referential."""

    id: str
    title: str
    text: Text
    level: str
    source: Source
    origin: str
    family: str | None = None
    applies_to: Mapping[str, tuple[Any, ...]] = field(default_factory=lambda: MappingProxyType({}))
    checks: tuple[CheckRef, ...] = ()
    attestation: Attestation | None = None
    not_tested: str | None = None
    scenario: Text | None = None
    tags: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """`automated`, `manual` or `not_tested`."""
        if self.checks:
            return "automated"
        return "manual" if self.attestation else "not_tested"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "text": self.text.to_json(),
            "level": self.level,
            "family": self.family,
            "source": self.source.to_json(),
            "origin": self.origin,
            "applies_to": thaw(self.applies_to),
            "kind": self.kind,
            "checks": [c.to_json() for c in self.checks],
            "attestation": None
            if self.attestation is None
            else {
                "evidence": self.attestation.evidence.to_json(),
                "scenario": self.attestation.scenario.to_json() if self.attestation.scenario else None,
                "proofs": [p.to_json() for p in self.attestation.proofs],
            },
            "not_tested": self.not_tested,
            "scenario": self.scenario.to_json() if self.scenario else None,
            "tags": list(self.tags),
        }


@dataclass(frozen=True)
class Include:
    referential: str
    version: str | None
    select: tuple[str, ...]
    exclude: tuple[str, ...]
    applies_to: Mapping[str, tuple[Any, ...]]


@dataclass(frozen=True)
class Referential:
    """A resolved referential: its own requirements plus those it includes."""

    id: str
    version: str
    title: str
    publisher: str
    date: str
    requirements: tuple[Requirement, ...]
    includes: tuple[Include, ...] = ()
    path: Path | None = None
    file_sha256: str = ""
    description: str | None = None
    families: Mapping[str, Text] = field(default_factory=lambda: MappingProxyType({}))
    sources: tuple[dict[str, str], ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    def requirement(self, req_id: str) -> Requirement:
        for req in self.requirements:
            if req.id == req_id:
                return req
        raise KeyError(req_id)

    @property
    def sha256(self) -> str:
        """Digest of the resolved content (own file and every included file)."""
        blob = json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "homolog.referential/1+resolved",
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "publisher": self.publisher,
            "date": self.date,
            "description": self.description,
            "families": {k: v.to_json() for k, v in self.families.items()},
            "sources": list(self.sources),
            "requirements": [r.to_json() for r in self.requirements],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Referential:
        """Rebuild a resolved referential saved with `to_json` (run directories)."""
        reqs = []
        for r in data["requirements"]:
            att = r.get("attestation")
            reqs.append(
                Requirement(
                    id=r["id"],
                    title=r["title"],
                    text=Text(r["text"]["fr"], r["text"].get("en")),
                    level=r["level"],
                    source=Source(**r["source"]),
                    origin=r["origin"],
                    family=r.get("family"),
                    applies_to=_freeze({k: tuple(v) for k, v in (r.get("applies_to") or {}).items()}),
                    checks=tuple(
                        CheckRef(
                            c["check"],
                            _freeze(c.get("params") or {}),
                            c.get("label"),
                            _freeze({k: tuple(v) for k, v in (c.get("applies_to") or {}).items()}),
                        )
                        for c in r["checks"]
                    ),
                    attestation=None
                    if not att
                    else Attestation(
                        Text.of(att["evidence"]),  # type: ignore[arg-type]
                        Text.of(att.get("scenario")),
                        tuple(Text.of(p) for p in att.get("proofs") or ()),  # type: ignore[misc]
                    ),
                    not_tested=r.get("not_tested"),
                    scenario=Text.of(r.get("scenario")),
                    tags=tuple(r.get("tags") or ()),
                )
            )
        return cls(
            id=data["id"],
            version=data["version"],
            title=data["title"],
            publisher=data["publisher"],
            date=data["date"],
            description=data.get("description"),
            requirements=tuple(reqs),
            families=_freeze({k: Text.of(v) for k, v in (data.get("families") or {}).items()}),
            sources=tuple(data.get("sources") or ()),
        )


# --------------------------------------------------------------------------- search path


def builtin_root() -> Path:
    """Folder of the referentials shipped with homolog."""
    return Path(str(resources.files("homolog.referentials")))


def search_path(extra: Iterable[Path] = ()) -> list[Path]:
    """Folders searched for referentials by id: the extra ones (the CLI adds `$HOMOLOG_REFERENTIALS`), built-ins."""
    return [*(Path(p) for p in extra), builtin_root()]


@dataclass(frozen=True)
class _Entry:
    id: str
    version: str
    path: Path


@cache
def _scan(root: Path) -> tuple[_Entry, ...]:
    entries = []
    for path in sorted(root.rglob("*.y*ml")):
        if path.suffix not in (".yaml", ".yml") or "attestations" in path.name or "waivers" in path.name:
            continue
        head = _read_head(path)
        if head:
            entries.append(_Entry(head[0], head[1], path))
    return tuple(entries)


_HEAD = re.compile(r"^(format|id|version):\s*[\"']?([^\"'#\n]+?)[\"']?\s*(#.*)?$", re.M)


def _read_head(path: Path) -> tuple[str, str] | None:
    """Read `id` and `version` from a referential's top-level keys without a full parse."""
    try:
        with path.open(encoding="utf-8") as fh:
            head = fh.read(4096)
    except (OSError, UnicodeDecodeError):
        return None
    found = {m.group(1): m.group(2).strip() for m in _HEAD.finditer(head)}
    if found.get("format") != "homolog.referential/1" or "id" not in found or "version" not in found:
        return None
    return found["id"], found["version"]


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Order versions: numeric parts numerically, others as text."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.+-]", version))


def find_referentials(roots: Sequence[Path] | None = None) -> list[tuple[str, str, Path]]:
    """Every referential (id, version, path) on the search path, first root winning."""
    seen: dict[tuple[str, str], Path] = {}
    for root in roots if roots is not None else search_path():
        if root.is_dir():
            for e in _scan(root.resolve()):
                seen.setdefault((e.id, e.version), e.path)
    return sorted(((i, v, p) for (i, v), p in seen.items()), key=lambda t: (t[0], version_key(t[1])))


def _locate(ref_id: str, version: str | None, roots: Sequence[Path]) -> Path:
    candidates = [(v, p) for i, v, p in find_referentials(roots) if i == ref_id]
    if version:
        for v, p in candidates:
            if v == version:
                return p
        known = ", ".join(v for v, _ in candidates) or "none"
        raise ReferentialError(f"referential {ref_id!r} version {version!r} not found (versions found: {known})")
    if not candidates:
        ids = sorted({i for i, _, _ in find_referentials(roots)})
        import difflib

        close = difflib.get_close_matches(ref_id, ids, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ReferentialError(
            f"referential {ref_id!r} not found in {', '.join(map(str, roots))}{hint}; "
            "`homolog list referentials` shows what is available"
        )
    return max(candidates, key=lambda c: version_key(c[0]))[1]


# --------------------------------------------------------------------------- loading


def load_referential(spec: str | Path, *, roots: Sequence[Path] | None = None) -> Referential:
    """Load and resolve a referential given as a file path, an `id` or `id@version`."""
    path = Path(spec)
    if isinstance(spec, Path) or path.suffix in (".yaml", ".yml") or os.sep in str(spec):
        if not path.is_file():
            raise ReferentialError(f"referential file not found: {path}")
        base = [path.resolve().parent, path.resolve().parent.parent]
        all_roots = [*base, *(roots if roots is not None else search_path())]
        return _load_file(path, all_roots, ())
    ref_id, _, version = str(spec).partition("@")
    all_roots = list(roots) if roots is not None else search_path()
    return _load_file(_locate(ref_id, version or None, all_roots), all_roots, ())


def parse_document(path: Path) -> Located:
    """Parse and schema-validate one referential file (no include resolution)."""
    doc = load_yaml(path, cls=ReferentialError)
    if not isinstance(doc.data, dict):
        raise ReferentialError([Problem(path, 1, "", "a referential must be a mapping of keys")])
    problems = schema_problems(doc, "referential")
    seen: dict[str, int] = {}
    reqs = doc.data.get("requirements")
    for i, req in enumerate(reqs if isinstance(reqs, list) else []):
        rid = req.get("id") if isinstance(req, dict) else None
        if isinstance(rid, str):
            if rid in seen:
                problems.append(doc.problem(("requirements", i, "id"), f"duplicate requirement id {rid!r}"))
            seen[rid] = i
    if problems:
        raise ReferentialError(problems)
    return doc


def _applies(value: Any) -> Mapping[str, tuple[Any, ...]]:
    frozen: Mapping[str, tuple[Any, ...]] = _freeze(
        {k: tuple(v) if isinstance(v, list) else (v,) for k, v in (value or {}).items()}
    )
    return frozen


def _load_file(path: Path, roots: Sequence[Path], stack: tuple[str, ...]) -> Referential:
    doc = parse_document(path)
    data = doc.data
    ref = f"{data['id']}@{data['version']}"
    if ref in stack:
        raise ReferentialError([doc.problem(("include",), f"include cycle: {' -> '.join((*stack, ref))}")])
    raw = path.read_bytes()
    own = tuple(_requirement(r, ref) for r in data.get("requirements") or [])
    resolved: list[Requirement] = []
    includes: list[Include] = []
    sources: list[dict[str, str]] = []
    families = dict(data.get("families") or {})
    for i, inc in enumerate(data.get("include") or []):
        include = Include(
            inc["referential"],
            inc.get("version"),
            tuple(inc.get("select") or ()),
            tuple(inc.get("exclude") or ()),
            _applies(inc.get("applies_to")),
        )
        includes.append(include)
        try:
            child_path = _locate(include.referential, include.version, roots)
            child = _load_file(child_path, roots, (*stack, ref))
        except ReferentialError as exc:
            if any(p.file is not None for p in exc.problems):
                raise
            raise ReferentialError([doc.problem(("include", i, "referential"), str(exc))]) from None
        sources.extend(child.sources)
        for k, v in child.families.items():
            families.setdefault(k, v.to_json())
        for pattern_list, key in ((include.select, "select"), (include.exclude, "exclude")):
            for j, pattern in enumerate(pattern_list):
                if not any(fnmatch.fnmatchcase(r.id, pattern) for r in child.requirements):
                    raise ReferentialError(
                        [
                            doc.problem(
                                ("include", i, key, j), f"pattern {pattern!r} matches no requirement of {child.ref}"
                            )
                        ]
                    )
        for req in child.requirements:
            if include.select and not any(fnmatch.fnmatchcase(req.id, p) for p in include.select):
                continue
            if any(fnmatch.fnmatchcase(req.id, p) for p in include.exclude):
                continue
            if include.applies_to:
                merged = dict(req.applies_to)
                merged.update(include.applies_to)
                req = _replace_applies(req, merged)
            resolved.append(req)
    resolved.extend(own)
    seen: dict[str, str] = {}
    for req in resolved:
        if req.id in seen:
            raise ReferentialError(
                [doc.problem(("include",), f"requirement {req.id!r} comes from both {seen[req.id]} and {req.origin}")]
            )
        seen[req.id] = req.origin
    sources.insert(0, {"ref": ref, "path": path.name, "sha256": hashlib.sha256(raw).hexdigest()})
    return Referential(
        id=data["id"],
        version=data["version"],
        title=data["title"],
        publisher=data["publisher"],
        date=str(data["date"]),
        description=data.get("description"),
        requirements=tuple(resolved),
        includes=tuple(includes),
        path=path,
        file_sha256=hashlib.sha256(raw).hexdigest(),
        families=_freeze({k: Text.of(v) for k, v in families.items()}),
        sources=tuple(sources),
    )


def _replace_applies(req: Requirement, applies: Mapping[str, tuple[Any, ...]]) -> Requirement:
    from dataclasses import replace

    return replace(req, applies_to=_freeze(applies))


def _requirement(r: dict[str, Any], origin: str) -> Requirement:
    att = r.get("attestation")
    return Requirement(
        id=r["id"],
        title=r["title"],
        text=Text.of(r["text"]),  # type: ignore[arg-type]
        level=r["level"],
        source=Source(**r["source"]),
        origin=origin,
        family=r.get("family"),
        applies_to=_applies(r.get("applies_to")),
        checks=tuple(
            CheckRef(c["check"], _freeze(c.get("with") or {}), c.get("id"), _applies(c.get("applies_to")))
            for c in r.get("checks") or ()
        ),
        attestation=None
        if att is None
        else Attestation(
            Text.of(att["evidence"]),  # type: ignore[arg-type]
            Text.of(att.get("scenario")),
            tuple(Text.of(p) for p in att.get("proofs") or ()),  # type: ignore[misc]
        ),
        not_tested=r.get("not_tested"),
        scenario=Text.of(r.get("scenario")),
        tags=tuple(r.get("tags") or ()),
    )
