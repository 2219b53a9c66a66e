"""The profile validator: base R4 structure (fhirkit), then the profile's snapshot.

Order of work for one resource:

1. base R4 4.0.1 structure and datatypes with `fhirkit` (unknown elements, wrong JSON
   types, invalid primitive formats);
2. the profile snapshot, walked element by element: cardinality, allowed types,
   fixed[x] / pattern[x], slicing (value, pattern, type, profile, exists
   discriminators; open / closed rules), extensions by URL and against their own
   definitions when loaded, type profiles (`Address[fr-core-address]`), reference
   targets, bindings, FHIRPath invariants.

Anything the validator cannot decide (an unloaded value set or extension, an invariant
the FHIRPath library cannot evaluate) is an `information` issue that says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import fhirkit

from homolog.suites.fhir.packages import Conformance
from homolog.suites.fhir.validator.invariants import DATATYPE_INVARIANTS, Invariants
from homolog.suites.fhir.validator.issues import Issue
from homolog.suites.fhir.validator.structure import (
    ElementNode,
    ProfileTree,
    compile_profile,
    type_suffix,
)
from homolog.suites.fhir.validator.terminology import BASE_DATATYPE_BINDINGS, Terminology
from homolog.suites.fhir.validator.values import contains, equals

__all__ = ["UnknownProfile", "Validator"]

_MAX_DEPTH = 8
_CODED = ("code", "Coding", "CodeableConcept", "string", "uri", "Quantity")
_SYSTEM_STRING = "http://hl7.org/fhirpath/System.String"
_SD_PREFIX = "http://hl7.org/fhir/StructureDefinition/"

Seg = str | tuple[str, str]  # an element name, or ("extension", url)


class UnknownProfile(LookupError):
    """The profile asked for is not in the loaded packages."""


@dataclass
class _Item:
    """One value found in the instance, with where it is and its type when known."""

    value: Any
    loc: str
    type_code: str | None = None


@dataclass
class _Ctx:
    root: dict[str, Any]
    issues: list[Issue] = field(default_factory=list)
    depth: int = 0
    seen_invariants: set[tuple[str, str]] = field(default_factory=set)

    def add(self, severity: str, loc: str, message: str, code: str) -> None:
        self.issues.append(Issue(severity, loc, message, code))

    def child(self) -> _Ctx:
        return _Ctx(self.root, [], self.depth + 1, self.seen_invariants)


def _parse_path(path: str) -> list[Seg] | None:
    """Discriminator path → segments; None for what we cannot follow (resolve(), ofType())."""
    if path in ("$this", ""):
        return []
    segs: list[Seg] = []
    rest = path
    while rest:
        if rest.startswith("extension("):
            end = rest.find(")")
            if end < 0:
                return None
            segs.append(("extension", rest[len("extension(") : end].strip("'\"")))
            rest = rest[end + 1 :].lstrip(".")
            continue
        head, _, rest = rest.partition(".")
        if "(" in head or head == "$this":
            if head == "$this":
                continue
            return None
        segs.append(head)
    return segs


def _project(value: Any, segs: list[Seg]) -> list[Any]:
    current = [value]
    for seg in segs:
        nxt: list[Any] = []
        for item in current:
            if not isinstance(item, dict):
                continue
            if isinstance(seg, tuple):
                exts = item.get("extension") or []
                nxt += [e for e in exts if isinstance(e, dict) and e.get("url") == seg[1]]
                continue
            if seg == "value" and "value" not in item:
                found = [v for k, v in item.items() if k.startswith("value") and k[5:6].isupper()]
            else:
                found = [item[seg]] if seg in item else []
            for f in found:
                nxt.extend(f if isinstance(f, list) else [f])
        current = nxt
    return current


def _strip_version(url: str) -> str:
    return url.partition("|")[0]


class Validator:
    """Validates R4 JSON resources against base R4 and FHIR profiles of loaded packages."""

    def __init__(
        self,
        conformance: Conformance,
        *,
        base: bool = True,
        invariants: bool = True,
        terminology: bool = True,
    ) -> None:
        self.conformance = conformance
        self.base = base
        self.check_invariants = invariants
        self.check_terminology = terminology
        self.terminology = Terminology(conformance)
        self.invariants = Invariants()
        self._trees: dict[str, ProfileTree | None] = {}

    # -- public API ---------------------------------------------------------------

    def tree(self, canonical: str) -> ProfileTree | None:
        """The compiled snapshot of a loaded profile (None when it is not loaded)."""
        key = canonical
        if key not in self._trees:
            sd = self.conformance.structure_definition(canonical)
            self._trees[key] = compile_profile(sd) if sd else None
        return self._trees[key]

    def validate(self, resource: Any, profile: str | None = None) -> list[Issue]:
        """Issues of `resource` against base R4 and `profile` (or its loaded meta.profile).

        Raises `UnknownProfile` when `profile` is given but not loaded.
        """
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            return [Issue("fatal", "$", "not a FHIR resource (no resourceType)", "structure")]
        rtype = resource["resourceType"]
        ctx = _Ctx(resource)
        if self.base:
            for bi in fhirkit.validate(resource):
                ctx.add(bi.severity, bi.path, bi.message, "structure")
        if profile is not None:
            profiles = [profile]
            if self.tree(profile) is None:
                raise UnknownProfile(f"profile {profile} is not in the loaded FHIR packages")
        else:
            declared = (resource.get("meta") or {}).get("profile") or []
            profiles = [p for p in declared if isinstance(p, str) and self.tree(p) is not None]
            for p in declared:
                if isinstance(p, str) and self.tree(p) is None:
                    ctx.add("information", f"{rtype}.meta.profile", f"profile {p} not loaded; not checked", "profile")
        for p in profiles:
            tree = self.tree(p)
            assert tree is not None
            if tree.type != rtype:
                ctx.add("error", rtype, f"profile {tree.url} is for {tree.type}, not {rtype}", "profile")
                continue
            self._instance(tree.root, _Item(resource, rtype, rtype), tree, ctx)
        return _dedupe(ctx.issues)

    def validate_against(self, value: Any, profile: str, location: str) -> list[Issue]:
        """Issues of a datatype or extension `value` against `profile` (no base R4 pass)."""
        tree = self.tree(profile)
        if tree is None:
            raise UnknownProfile(f"profile {profile} is not in the loaded FHIR packages")
        ctx = _Ctx(value if isinstance(value, dict) else {})
        self._instance(tree.root, _Item(value, location, tree.type), tree, ctx)
        return _dedupe(ctx.issues)

    # -- walking ------------------------------------------------------------------

    def _instance(self, node: ElementNode, item: _Item, tree: ProfileTree, ctx: _Ctx) -> None:
        """Rules of one element definition applied to one value."""
        value = item.value
        fixed = node.fixed
        if fixed is not None and value is not None and not equals(value, fixed[1]):
            ctx.add(
                "error",
                item.loc,
                f"value must be exactly {_short(fixed[1])} ({fixed[0]}), found {_short(value)}",
                "fixed",
            )
        pattern = node.pattern
        if pattern is not None and value is not None and not contains(value, pattern[1]):
            ctx.add(
                "error",
                item.loc,
                f"value must match {pattern[0]} {_short(pattern[1])}, found {_short(value)}",
                "pattern",
            )
        type_code = item.type_code or (node.type_codes[0] if len(node.types) == 1 else None)
        if self.check_terminology and value is not None:
            self._binding(node, item, type_code, ctx)
        if self.check_invariants and value is not None:
            self._invariants(node, item, type_code, tree, ctx)
        if type_code == "Reference" and isinstance(value, dict):
            self._reference_target(node, item, ctx)
        self._type_profiles(node, item, type_code, ctx)
        if isinstance(value, dict):
            self._children(node, value, item.loc, tree, ctx)
            if self.check_terminology and isinstance(type_code, str) and type_code in BASE_DATATYPE_BINDINGS:
                self._datatype_bindings(node, value, item.loc, type_code, ctx)

    def _children(self, node: ElementNode, obj: dict[str, Any], loc: str, tree: ProfileTree, ctx: _Ctx) -> None:
        children = node.children
        ref = node.definition.get("contentReference")
        if not children and isinstance(ref, str) and ref.startswith("#"):
            target = tree.by_id.get(ref[1:]) or tree.by_path.get(ref[1:])
            children = target.children if target is not None else {}
        for name, child in children.items():
            if child.definition.get("type") and child.type_codes == [_SYSTEM_STRING] and name in ("id",):
                continue  # element ids are plain strings: base R4 checks them
            items, elem_loc = self._gather(child, obj, loc)
            self._element(child, items, elem_loc, tree, ctx)

    def _gather(self, node: ElementNode, obj: dict[str, Any], loc: str) -> tuple[list[_Item], str]:
        name = node.name
        items: list[_Item] = []
        if node.is_choice:
            prefix = name[:-3]
            allowed = {type_suffix(c): c for c in node.type_codes}
            for key, val in obj.items():
                suffix = key[len(prefix) :]
                if not key.startswith(prefix) or not suffix[:1].isupper():
                    continue
                code = allowed.get(suffix)
                items.append(_Item(val, f"{loc}.{key}", code if code else f"!{suffix}"))
            return items, f"{loc}.{name}"
        val = obj.get(name)
        ext = obj.get("_" + name)
        if val is None and ext is not None:
            val = [None] * len(ext) if isinstance(ext, list) else None
            if val is None:
                return [_Item(None, f"{loc}.{name}")], f"{loc}.{name}"
        if isinstance(val, list):
            items = [_Item(v, f"{loc}.{name}[{i}]") for i, v in enumerate(val)]
        elif val is not None:
            items = [_Item(val, f"{loc}.{name}")]
        return items, f"{loc}.{name}"

    def _element(self, node: ElementNode, items: list[_Item], loc: str, tree: ProfileTree, ctx: _Ctx) -> None:
        """Cardinality, types and slicing of one element over all its values in a parent."""
        label = f"slice '{node.slice_name}': " if node.slice_name else ""
        n = len(items)
        if n < node.min:
            ctx.add("error", loc, f"{label}minimum cardinality {node.min}, found {n}", "cardinality")
        if node.max is not None and n > node.max:
            what = "not allowed here" if node.max == 0 else f"maximum cardinality {node.max}"
            ctx.add("error", loc, f"{label}{what}, found {n}", "cardinality")
        good: list[_Item] = []
        for it in items:
            if it.type_code and it.type_code.startswith("!"):
                ctx.add(
                    "error",
                    it.loc,
                    f"type {it.type_code[1:]} is not allowed here (allowed: {', '.join(node.type_codes)})",
                    "type",
                )
            else:
                good.append(it)
        slicing = node.slicing
        if slicing is not None and node.slices:
            buckets: dict[int, list[_Item]] = {i: [] for i in range(len(node.slices))}
            unmatched: list[_Item] = []
            for it in good:
                idx = self._match_slice(node, it, ctx)
                if isinstance(idx, str):
                    ctx.add("information", it.loc, idx, "slice")
                    self._instance(node, it, tree, ctx)
                elif idx is None:
                    unmatched.append(it)
                else:
                    buckets[idx].append(it)
            for i, sl in enumerate(node.slices):
                self._element(sl, buckets[i], loc, tree, ctx)
            for it in unmatched:
                if slicing.get("rules") == "closed":
                    ctx.add(
                        "error",
                        it.loc,
                        "does not match any slice of a closed slicing "
                        f"({', '.join(str(s.slice_name) for s in node.slices)})",
                        "slice",
                    )
                self._instance(node, it, tree, ctx)
                self._open_extension(node, it, ctx)
            return
        for it in good:
            self._instance(node, it, tree, ctx)
            self._open_extension(node, it, ctx)

    # -- slicing ------------------------------------------------------------------

    def _match_slice(self, node: ElementNode, item: _Item, ctx: _Ctx) -> int | str | None:
        """Index of the first slice `item` belongs to; None if none; a reason if undecidable."""
        discs = (node.slicing or {}).get("discriminator") or []
        undecided: list[str] = []
        for i, sl in enumerate(node.slices):
            if not discs:
                if self._conforms(sl, item, ctx):
                    return i
                continue
            results = [self._disc_matches(d, sl, item, ctx) for d in discs]
            if all(r is True for r in results):
                return i
            if not any(r is False for r in results):
                undecided.append(str(sl.slice_name))
        if undecided:
            return (
                "cannot tell whether it belongs to slice "
                + ", ".join(undecided)
                + " (its discriminator depends on a value set that is not loaded or on a "
                "path the validator does not follow, such as resolve())"
            )
        return None

    def _conforms(self, sl: ElementNode, item: _Item, ctx: _Ctx) -> bool:
        sub = ctx.child()
        sub.seen_invariants = set()
        tree = ProfileTree("", "", "", sl, {}, {})
        self._instance(sl, item, tree, sub)
        return not any(i.is_error for i in sub.issues)

    def _disc_matches(self, d: dict[str, Any], sl: ElementNode, item: _Item, ctx: _Ctx) -> bool | None:
        """Whether `item` meets one discriminator of slice `sl` (None: cannot tell)."""
        dtype, path = d.get("type"), str(d.get("path", "$this"))
        segs = _parse_path(path)
        if segs is None:
            return None  # resolve(), ofType() ...: not followed here, so "cannot tell"
        if dtype in ("value", "pattern"):
            expected = self._expected(sl, segs)
            if expected is None:
                return False
            cands = _project(item.value, segs)
            verdicts: list[bool | None] = []
            for kind, v in expected:
                if kind == "binding":
                    verdicts.append(self._in_value_set(str(v), cands))
                else:
                    verdicts.append(any((equals(c, v) if kind == "fixed" else contains(c, v)) for c in cands))
            if any(r is False for r in verdicts):
                return False
            return True if all(verdicts) else None
        if dtype == "type":
            if segs:
                cands = _project(item.value, segs)
                codes = [c.get("resourceType") for c in cands if isinstance(c, dict)]
            elif item.type_code:
                codes = [item.type_code]
            elif isinstance(item.value, dict):
                codes = [item.value.get("resourceType")]
            else:
                codes = []
            allowed = {type_suffix(c).lower() for c in sl.type_codes}
            return any(isinstance(c, str) and type_suffix(c).lower() in allowed for c in codes)
        if dtype == "profile":
            profiles = [p for t in sl.types for p in t.get("profile") or []]
            cands = _project(item.value, segs)
            for p in profiles:
                if self.tree(p) is None:
                    continue
                for c in cands:
                    if not any(i.is_error for i in self.validate_against(c, p, item.loc)):
                        return True
            return False
        if dtype == "exists":
            target = self._walk(sl, segs)
            want = target is not None and target.min > 0
            return bool(_project(item.value, segs)) == want
        return False

    def _in_value_set(self, vs: str, values: list[Any]) -> bool | None:
        exp = self.terminology.expand(vs)
        if exp is None:
            return None
        codings = (
            [cd for v in values for cd in _codings(v, "CodeableConcept" if "coding" in v else "Coding")]
            if all(isinstance(v, dict) for v in values)
            else [(None, v) for v in values]
        )
        if any(exp.has(s, c) for s, c in codings):
            return True
        return False if exp.complete else None

    def _walk(self, node: ElementNode, segs: list[Seg]) -> ElementNode | None:
        for seg in segs:
            if isinstance(seg, tuple):
                ext = node.children.get("extension")
                if ext is None:
                    return None
                found = next((s for s in ext.slices if _slice_url(s) == seg[1]), None)
                if found is None:
                    return None
                node = found
                continue
            nxt = node.children.get(seg) or node.children.get(seg + "[x]")
            if nxt is None:
                return None
            node = nxt
        return node

    def _expected(self, node: ElementNode, segs: list[Seg]) -> list[tuple[str, Any]] | None:
        """Values a slice requires at a discriminator path: [(fixed|pattern, value)]."""
        fp = node.fixed_or_pattern()
        if fp is not None:
            kind, val = fp
            vals = _project(val, segs) if segs else [val]
            return [(kind, v) for v in vals] or None
        if not segs:
            # FHIR allows a required binding to stand for the discriminating value.
            binding = node.definition.get("binding") or {}
            if binding.get("strength") == "required" and binding.get("valueSet"):
                return [("binding", binding["valueSet"])]
            return None
        if segs == ["url"] and node.type_codes == ["Extension"] and "url" not in node.children:
            url = _slice_url(node)
            return [("fixed", url)] if url else None
        child = self._walk(node, segs[:1])
        if child is None:
            return None
        found = self._expected(child, segs[1:])
        if found is None:
            # The value may be fixed inside a slice of the intermediate element
            # (component.code.coding:SBPCode.code for a code.coding.code discriminator).
            for sub in child.slices:
                found = self._expected(sub, segs[1:])
                if found is not None:
                    break
        return found

    # -- rules --------------------------------------------------------------------

    def _type_profiles(self, node: ElementNode, item: _Item, type_code: str | None, ctx: _Ctx) -> None:
        if item.value is None or ctx.depth >= _MAX_DEPTH:
            return
        entries = [t for t in node.types if type_code is None or t.get("code") == type_code]
        profiles = [str(p) for t in entries for p in t.get("profile") or []]
        if not profiles:
            return
        loaded = [p for p in profiles if self.tree(p) is not None]
        if not loaded:
            what = "extension" if type_code == "Extension" else "profile"
            ctx.add(
                "information",
                item.loc,
                f"{what} definition {profiles[0]} is not loaded: "
                "only the constraints stated by the profile were checked",
                "profile",
            )
            return
        best: list[Issue] | None = None
        for p in loaded:
            tree = self.tree(p)
            assert tree is not None
            sub = ctx.child()
            self._instance(tree.root, _Item(item.value, item.loc, type_code), tree, sub)
            errors = sum(1 for i in sub.issues if i.is_error)
            if best is None or errors < sum(1 for i in best if i.is_error):
                best = sub.issues
            if errors == 0:
                break
        ctx.issues.extend(best or [])

    def _open_extension(self, node: ElementNode, item: _Item, ctx: _Ctx) -> None:
        """An extension no slice claimed: check it against its own definition when loaded."""
        if node.name not in ("extension", "modifierExtension") or node.slice_name is not None:
            return  # a slice already says what the extension is
        if not isinstance(item.value, dict):
            return
        url = item.value.get("url")
        if not isinstance(url, str) or ctx.depth >= _MAX_DEPTH:
            return
        if "://" not in url and not url.startswith("urn:"):
            # A sub-extension of a complex extension (relative url) that no slice names.
            ctx.add("warning", item.loc, f"sub-extension '{url}' is not defined by its extension", "extension")
            return
        tree = self.tree(url)
        if tree is None:
            severity = "error" if node.name == "modifierExtension" else "information"
            ctx.add(severity, item.loc, f"extension {url} is not defined in the loaded packages", "extension")
            return
        if tree.type != "Extension":
            ctx.add("error", item.loc, f"{url} is a {tree.type} profile, not an extension", "extension")
            return
        sub = ctx.child()
        self._instance(tree.root, _Item(item.value, item.loc, "Extension"), tree, sub)
        ctx.issues.extend(sub.issues)

    def _reference_target(self, node: ElementNode, item: _Item, ctx: _Ctx) -> None:
        ref = item.value.get("reference")
        if not isinstance(ref, str) or ref.startswith("#") or "/" not in ref:
            return
        parts = ref.split("?")[0].rstrip("/").split("/")
        # Relative `Type/id` or `Type/id/_history/v`, or an absolute URL ending the same way.
        rtype = parts[-4] if len(parts) >= 4 and parts[-2] == "_history" else parts[-2]
        allowed: set[str] = set()
        for t in node.types:
            for tp in t.get("targetProfile") or []:
                tp = _strip_version(str(tp))
                if tp.startswith(_SD_PREFIX):
                    allowed.add(tp[len(_SD_PREFIX) :])
                else:
                    tree = self.tree(tp)
                    if tree is None:
                        return  # cannot tell which type that profile constrains
                    allowed.add(tree.type)
        if allowed and "Resource" not in allowed and rtype not in allowed:
            ctx.add(
                "error",
                item.loc + ".reference",
                f"reference to {rtype} not allowed here (allowed: {', '.join(sorted(allowed))})",
                "type",
            )

    def _binding(self, node: ElementNode, item: _Item, type_code: str | None, ctx: _Ctx) -> None:
        binding = node.definition.get("binding") or {}
        strength, vs = binding.get("strength"), binding.get("valueSet")
        if type_code not in _CODED:
            return
        codings = _codings(item.value, type_code)
        if type_code in ("Coding", "CodeableConcept"):
            for system, code in codings:
                if system and code and self.terminology.code_known(system, code) is False:
                    ctx.add("error", item.loc, f"code '{code}' is not defined in code system {system}", "binding")
        if not isinstance(vs, str) or strength not in ("required", "extensible", "preferred"):
            return
        if type_code == "Quantity" and not codings:
            return
        if type_code in ("string", "uri") and strength != "required":
            return
        exp = self.terminology.expand(vs)
        if exp is None:
            if strength in ("required", "extensible"):
                ctx.add(
                    "information", item.loc, f"value set {vs} is not loaded: {strength} binding not checked", "binding"
                )
            return
        if not codings:
            if strength == "required":
                ctx.add("error", item.loc, f"no code given for a required binding to {vs}", "binding")
            return
        if any(exp.has(s, c) for s, c in codings):
            return
        shown = ", ".join(f"{s}|{c}" if s else c for s, c in codings)
        if not exp.complete:
            ctx.add(
                "information",
                item.loc,
                f"cannot tell whether {shown} is in {vs}: " + "; ".join(sorted(set(exp.reasons))),
                "binding",
            )
            return
        severity = "error" if strength == "required" else "warning"
        ctx.add(severity, item.loc, f"{shown} is not in value set {vs} ({strength} binding)", "binding")

    def _datatype_bindings(self, node: ElementNode, value: dict[str, Any], loc: str, type_code: str, ctx: _Ctx) -> None:
        """Required codes of base datatypes for elements the snapshot does not expand."""
        for elem, vs in BASE_DATATYPE_BINDINGS[type_code].items():
            code = value.get(elem)
            if elem in node.children or not isinstance(code, str):
                continue
            exp = self.terminology.expand(vs)
            if exp is not None and not exp.has(None, code):
                ctx.add("error", f"{loc}.{elem}", f"{code} is not in value set {vs} (required binding)", "binding")

    def _invariants(self, node: ElementNode, item: _Item, type_code: str | None, tree: ProfileTree, ctx: _Ctx) -> None:
        constraints = list(node.definition.get("constraint") or [])
        if type_code in DATATYPE_INVARIANTS:
            keys = {c.get("key") for c in constraints}
            constraints += [c for c in DATATYPE_INVARIANTS[type_code] if c["key"] not in keys]
        if not constraints:
            return
        if node is tree.root:
            type_name = tree.type
        elif type_code and type_code not in ("BackboneElement", "Element", _SYSTEM_STRING):
            type_name = type_code
        else:
            type_name = node.path
        for c in constraints:
            key, expr = str(c.get("key", "?")), c.get("expression")
            if not isinstance(expr, str):
                continue
            if key == "ele-1":
                # fhirpathpy lacks hasValue(); the rule is simple enough to apply directly.
                # Primitives: base R4 (fhirkit) already rejects empty values.
                if isinstance(item.value, dict) and not (item.value.keys() - {"id"}):
                    ctx.add("error", item.loc, "ele-1: All FHIR elements must have a @value or children", "invariant")
                continue
            if key == "ext-1" and isinstance(item.value, dict):
                # Evaluated in Python: it is on every extension and fhirpathpy is slow.
                has_ext = bool(item.value.get("extension"))
                has_value = any(k.startswith("value") and k[5:6].isupper() for k in item.value)
                if has_ext == has_value:
                    ctx.add("error", item.loc, f"ext-1: {c.get('human', expr)}", "invariant")
                continue
            seen = (key + "|" + expr, item.loc)
            if seen in ctx.seen_invariants:
                continue
            ctx.seen_invariants.add(seen)
            holds, why = self.invariants.evaluate(expr, item.value, type_name, ctx.root)
            if holds is False:
                sev = "error" if c.get("severity") == "error" else "warning"
                ctx.add(sev, item.loc, f"{key}: {c.get('human', expr)}", "invariant")
            elif holds is None:
                ctx.add("information", item.loc, f"invariant {key} could not be evaluated ({why})", "invariant")


def _codings(value: Any, type_code: str | None) -> list[tuple[str | None, str]]:
    if type_code in ("code", "string", "uri"):
        return [(None, value)] if isinstance(value, str) else []
    if type_code in ("Coding", "Quantity"):
        if isinstance(value, dict) and isinstance(value.get("code"), str):
            return [(value.get("system"), value["code"])]
        return []
    if type_code == "CodeableConcept" and isinstance(value, dict):
        out: list[tuple[str | None, str]] = []
        for c in value.get("coding") or []:
            if isinstance(c, dict) and isinstance(c.get("code"), str):
                out.append((c.get("system"), c["code"]))
        return out
    return []


def _slice_url(sl: ElementNode) -> str | None:
    """The extension URL a slice of `extension` stands for."""
    url_child = sl.children.get("url")
    if url_child is not None and url_child.fixed is not None:
        return str(url_child.fixed[1])
    for t in sl.types:
        for p in t.get("profile") or []:
            return _strip_version(str(p))
    return None


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, dict | list) else str(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _dedupe(issues: list[Issue]) -> list[Issue]:
    seen: set[tuple[str, str, str]] = set()
    out: list[Issue] = []
    for i in issues:
        k = (i.severity, i.location, i.message)
        if k not in seen:
            seen.add(k)
            out.append(i)
    return out
