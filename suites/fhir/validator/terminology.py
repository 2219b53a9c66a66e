"""Binding checks against ValueSets and CodeSystems of the loaded packages.

A value set is expanded from its `expansion` when present, otherwise from its
`compose` (concept lists, whole loaded CodeSystems, hierarchy filters on loaded
CodeSystems, other value sets). When a part cannot be expanded here (a filter on a
code system that is not loaded, a property filter), the expansion is *incomplete*: a
code found in it is valid, a code not found is "cannot tell", which the validator
reports as information, never as a silent pass.

Base R4 value sets and code systems come from the `hl7.fhir.r4.core` package like
any other: nothing is listed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from homolog.suites.fhir.packages import Conformance

__all__ = ["CodeSystemIndex", "Expansion", "Terminology"]


@dataclass
class Expansion:
    """Codes of a value set as (system, code) pairs; `complete` False when some part is unknown."""

    codes: set[tuple[str, str]] = field(default_factory=set)
    complete: bool = True
    reasons: list[str] = field(default_factory=list)
    _bare: set[str] | None = None

    def has(self, system: str | None, code: str) -> bool:
        """True when the code is in the expansion (any system when `system` is None)."""
        if system is None:
            if self._bare is None:
                self._bare = {c for _, c in self.codes}
            return code in self._bare
        return (system, code) in self.codes


@dataclass
class CodeSystemIndex:
    """The codes of one CodeSystem and their parent → children hierarchy."""

    url: str
    complete: bool
    codes: set[str]
    children: dict[str, list[str]]
    source: str

    def descendants(self, code: str) -> set[str]:
        """Codes below `code` in the hierarchy (not `code` itself)."""
        out: set[str] = set()
        stack = list(self.children.get(code, []))
        while stack:
            c = stack.pop()
            if c not in out:
                out.add(c)
                stack += self.children.get(c, [])
        return out


def _index_code_system(cs: dict[str, Any]) -> CodeSystemIndex:
    codes: set[str] = set()
    children: dict[str, list[str]] = {}

    def walk(concepts: list[dict[str, Any]], parent: str | None) -> None:
        for c in concepts:
            code = c.get("code")
            if not isinstance(code, str):
                continue
            codes.add(code)
            if parent is not None:
                children.setdefault(parent, []).append(code)
            for prop in c.get("property") or []:
                # Hierarchies stated with a `parent` property instead of nesting.
                if isinstance(prop, dict) and prop.get("code") == "parent" and isinstance(prop.get("valueCode"), str):
                    children.setdefault(prop["valueCode"], []).append(code)
            walk(c.get("concept") or [], code)

    walk(cs.get("concept") or [], None)
    return CodeSystemIndex(
        url=str(cs.get("url", "")),
        complete=cs.get("content") in ("complete", None),
        codes=codes,
        children=children,
        source=str(cs.get("version", "")),
    )


class Terminology:
    """Value set membership over the loaded packages (expansions cached)."""

    def __init__(self, conformance: Conformance) -> None:
        self.conformance = conformance
        self._cache: dict[str, Expansion | None] = {}
        self._systems: dict[str, CodeSystemIndex | None] = {}

    def code_system(self, url: str) -> CodeSystemIndex | None:
        """The indexed CodeSystem at `url` (None when not loaded)."""
        key = url.partition("|")[0]
        if key not in self._systems:
            cs = self.conformance.code_system(key)
            self._systems[key] = _index_code_system(cs) if cs is not None else None
        return self._systems[key]

    def expand(self, canonical: str) -> Expansion | None:
        """The expansion of a value set, or None when the value set is not loaded."""
        key = canonical.partition("|")[0]
        if key not in self._cache:
            self._cache[key] = None  # guards against value sets that include themselves
            self._cache[key] = self._expand(key)
        return self._cache[key]

    def _expand(self, url: str) -> Expansion | None:
        vs = self.conformance.value_set(url)
        if vs is None:
            return None
        exp = Expansion()
        contains = (vs.get("expansion") or {}).get("contains")
        if contains:
            self._add_contains(exp, contains)
            return exp
        compose = vs.get("compose") or {}
        for inc in compose.get("include") or []:
            self._include(exp, inc, url)
        for exc in compose.get("exclude") or []:
            removed = Expansion()
            self._include(removed, exc, url)
            exp.codes -= removed.codes
            if not removed.complete:
                exp.complete = False
                exp.reasons += removed.reasons
        return exp

    def _add_contains(self, exp: Expansion, contains: list[dict[str, Any]]) -> None:
        for c in contains:
            if isinstance(c.get("code"), str):
                exp.codes.add((str(c.get("system", "")), c["code"]))
            self._add_contains(exp, c.get("contains") or [])

    def _filtered(self, part: Expansion, system: str, filters: list[dict[str, Any]], url: str) -> None:
        cs = self.code_system(system)
        if cs is None or not cs.complete:
            part.complete = False
            part.reasons.append(f"{url} selects codes of {system} with a filter and that code system is not loaded")
            return
        selected: set[str] | None = None
        for f in filters:
            prop, op, value = f.get("property"), f.get("op"), str(f.get("value", ""))
            if prop == "concept" and op == "is-a":
                codes = {value} | cs.descendants(value) if value in cs.codes else set()
            elif prop == "concept" and op in ("descendent-of", "is-not-a"):
                below = cs.descendants(value)
                codes = below if op == "descendent-of" else cs.codes - below - {value}
            elif prop == "concept" and op == "=":
                codes = {value} & cs.codes
            elif prop == "concept" and op == "in":
                codes = set(value.split(",")) & cs.codes
            else:
                part.complete = False
                part.reasons.append(f"{url} selects codes of {system} with a '{prop} {op}' filter")
                return
            selected = codes if selected is None else selected & codes
        part.codes = {(system, c) for c in selected or set()}

    def _include(self, exp: Expansion, inc: dict[str, Any], url: str) -> None:
        system = inc.get("system")
        part = Expansion()
        if inc.get("filter") and system:
            self._filtered(part, str(system), list(inc["filter"]), url)
        elif inc.get("filter"):
            part.complete = False
            part.reasons.append(f"{url} has a filter without a system")
        elif inc.get("concept"):
            part.codes = {(str(system), str(c.get("code"))) for c in inc["concept"]}
        elif system:
            cs = self.code_system(str(system))
            if cs is None or not cs.complete:
                part.complete = False
                part.reasons.append(f"code system {system} is not loaded")
            else:
                part.codes = {(str(system), c) for c in cs.codes}
        for vs_url in inc.get("valueSet") or []:
            sub = self.expand(str(vs_url))
            if sub is None:
                part.complete = False
                part.reasons.append(f"value set {vs_url} is not loaded")
                continue
            # An include listing a system AND value sets is the intersection.
            codes = {sc for sc in sub.codes if not system or sc[0] == system}
            part.codes = (part.codes & codes) if (inc.get("concept") or system) and part.codes else codes
            part.complete = part.complete and sub.complete
            part.reasons += sub.reasons
        exp.codes |= part.codes
        exp.complete = exp.complete and part.complete
        exp.reasons += part.reasons

    def code_known(self, system: str, code: str) -> bool | None:
        """Whether `code` exists in CodeSystem `system` (None: system not loaded/incomplete)."""
        cs = self.code_system(system)
        if cs is None or not cs.complete:
            return None
        return code in cs.codes
