"""Binding checks against ValueSets and CodeSystems of the loaded packages.

A value set is expanded from its `expansion` when present, otherwise from its
`compose` (concept lists, whole loaded CodeSystems, other value sets). When a part
cannot be expanded here (a filter, a code system that is not loaded), the expansion
is *incomplete*: a code found in it is valid, a code not found is "cannot tell",
which the validator reports as information, never as a silent pass.

The base R4 package is not available, so a handful of required R4 code lists that
FR Core resources use on every instance are listed below (facts from the R4 4.0.1
specification).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from homolog.suites.fhir.packages import Conformance

__all__ = ["BASE_DATATYPE_BINDINGS", "BASE_R4_CODES", "Expansion", "Terminology"]

_R4 = "http://hl7.org/fhir/ValueSet/"
BASE_R4_CODES: dict[str, tuple[str, frozenset[str]]] = {
    _R4 + "administrative-gender": (
        "http://hl7.org/fhir/administrative-gender",
        frozenset({"male", "female", "other", "unknown"}),
    ),
    _R4 + "identifier-use": (
        "http://hl7.org/fhir/identifier-use",
        frozenset({"usual", "official", "temp", "secondary", "old"}),
    ),
    _R4 + "name-use": (
        "http://hl7.org/fhir/name-use",
        frozenset({"usual", "official", "temp", "nickname", "anonymous", "old", "maiden"}),
    ),
    _R4 + "contact-point-system": (
        "http://hl7.org/fhir/contact-point-system",
        frozenset({"phone", "fax", "email", "pager", "url", "sms", "other"}),
    ),
    _R4 + "contact-point-use": (
        "http://hl7.org/fhir/contact-point-use",
        frozenset({"home", "work", "temp", "old", "mobile"}),
    ),
    _R4 + "address-use": (
        "http://hl7.org/fhir/address-use",
        frozenset({"home", "work", "temp", "old", "billing"}),
    ),
    _R4 + "address-type": (
        "http://hl7.org/fhir/address-type",
        frozenset({"postal", "physical", "both"}),
    ),
    _R4 + "link-type": (
        "http://hl7.org/fhir/link-type",
        frozenset({"replaced-by", "replaces", "refer", "seealso"}),
    ),
    _R4 + "observation-status": (
        "http://hl7.org/fhir/observation-status",
        frozenset(
            {"registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error", "unknown"}
        ),
    ),
    _R4 + "narrative-status": (
        "http://hl7.org/fhir/narrative-status",
        frozenset({"generated", "extensions", "additional", "empty"}),
    ),
    _R4 + "quantity-comparator": (
        "http://hl7.org/fhir/quantity-comparator",
        frozenset({"<", "<=", ">=", ">"}),
    ),
}


# Required bindings inside base R4 datatypes: a profile that does not constrain, say,
# Organization.identifier has no snapshot element for Identifier.use, and the base
# Identifier StructureDefinition is not loaded. Datatype → element → value set.
BASE_DATATYPE_BINDINGS: dict[str, dict[str, str]] = {
    "Identifier": {"use": _R4 + "identifier-use"},
    "HumanName": {"use": _R4 + "name-use"},
    "ContactPoint": {"system": _R4 + "contact-point-system", "use": _R4 + "contact-point-use"},
    "Address": {"use": _R4 + "address-use", "type": _R4 + "address-type"},
    "Quantity": {"comparator": _R4 + "quantity-comparator"},
    "Narrative": {"status": _R4 + "narrative-status"},
}


@dataclass
class Expansion:
    """Codes of a value set as (system, code) pairs; `complete` False when some part is unknown."""

    codes: set[tuple[str, str]] = field(default_factory=set)
    complete: bool = True
    reasons: list[str] = field(default_factory=list)

    def has(self, system: str | None, code: str) -> bool:
        """True when the code is in the expansion (any system when `system` is None)."""
        if system is None:
            return any(c == code for _, c in self.codes)
        return (system, code) in self.codes


def _cs_codes(cs: dict[str, Any]) -> set[str]:
    out: set[str] = set()

    def walk(concepts: list[dict[str, Any]]) -> None:
        for c in concepts:
            if isinstance(c.get("code"), str):
                out.add(c["code"])
            walk(c.get("concept") or [])

    walk(cs.get("concept") or [])
    return out


class Terminology:
    """Value set membership over the loaded packages (expansions cached)."""

    def __init__(self, conformance: Conformance) -> None:
        self.conformance = conformance
        self._cache: dict[str, Expansion | None] = {}

    def expand(self, canonical: str) -> Expansion | None:
        """The expansion of a value set, or None when the value set is not loaded."""
        key = canonical.partition("|")[0]
        if key not in self._cache:
            self._cache[key] = None  # guards against value sets that include themselves
            self._cache[key] = self._expand(key)
        return self._cache[key]

    def _expand(self, url: str) -> Expansion | None:
        base = BASE_R4_CODES.get(url)
        if base is not None:
            return Expansion({(base[0], c) for c in base[1]})
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
        return exp

    def _add_contains(self, exp: Expansion, contains: list[dict[str, Any]]) -> None:
        for c in contains:
            if isinstance(c.get("code"), str):
                exp.codes.add((str(c.get("system", "")), c["code"]))
            self._add_contains(exp, c.get("contains") or [])

    def _include(self, exp: Expansion, inc: dict[str, Any], url: str) -> None:
        system = inc.get("system")
        part = Expansion()
        if inc.get("filter"):
            part.complete = False
            part.reasons.append(f"{url} selects codes of {system} with a filter")
        elif inc.get("concept"):
            part.codes = {(str(system), str(c.get("code"))) for c in inc["concept"]}
        elif system:
            cs = self.conformance.code_system(str(system))
            if cs is None or cs.get("content") not in ("complete", None):
                part.complete = False
                part.reasons.append(f"code system {system} is not loaded")
            else:
                part.codes = {(str(system), c) for c in _cs_codes(cs)}
        for vs_url in inc.get("valueSet") or []:
            sub = self.expand(str(vs_url))
            if sub is None:
                part.complete = False
                part.reasons.append(f"value set {vs_url} is not loaded")
                continue
            # An include listing a system AND value sets is the intersection; keep it simple:
            # with both present we only keep codes of that system.
            codes = {sc for sc in sub.codes if not system or sc[0] == system}
            part.codes = codes if not (inc.get("concept") or system) else part.codes | codes
            part.complete = part.complete and sub.complete
            part.reasons += sub.reasons
        exp.codes |= part.codes
        exp.complete = exp.complete and part.complete
        exp.reasons += part.reasons

    def code_known(self, system: str, code: str) -> bool | None:
        """Whether `code` exists in CodeSystem `system` (None: system not loaded/incomplete)."""
        cs = self.conformance.code_system(system)
        if cs is None or cs.get("content") not in ("complete", None):
            return None
        return code in _cs_codes(cs)
