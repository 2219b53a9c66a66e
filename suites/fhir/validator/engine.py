"""The profile validator: base R4 structure (fhirkit), then compiled StructureDefinitions.

Order of work for one resource:

1. base R4 4.0.1 structure and datatypes with `fhirkit` (unknown elements, wrong JSON
   types, invalid primitive formats);
2. the resource's StructureDefinition from the loaded packages (its base definition
   from `hl7.fhir.r4.core`, or the profile asked for, or the profiles it declares in
   `meta.profile`, or a core vital-signs profile its code implies), compiled once into
   a plan (`structure.compile_profile`) and walked element by element: cardinality,
   allowed types, fixed[x] / pattern[x], slicing (value, pattern, type, profile,
   exists discriminators; open / closed rules), extensions against their own
   definitions and contexts, type profiles (`Address[fr-core-address]`), reference
   targets, bindings, FHIRPath invariants. An element whose datatype the snapshot does
   not expand is walked with that datatype's base definition (`Identifier.use`,
   `Period` per-1 ...); contained and bundled resources with their own;
3. rules that are not in StructureDefinitions (`special`): resource ids, Bundle
   references and links, canonical URLs, SearchParameter and CodeSystem consistency.

Anything the validator cannot decide (an unloaded value set or extension, an invariant
the FHIRPath library cannot evaluate) is an `information` issue that says so.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import fhirkit

from homolog.suites.fhir.packages import Conformance, MissingDependency
from homolog.suites.fhir.validator import special
from homolog.suites.fhir.validator.fastpath import holds_without, lacks_keys
from homolog.suites.fhir.validator.invariants import DOM_3, PER_1, REF_1, Invariants
from homolog.suites.fhir.validator.issues import Issue
from homolog.suites.fhir.validator.structure import (
    ElementNode,
    ProfileTree,
    compile_profile,
    type_suffix,
)
from homolog.suites.fhir.validator.terminology import Terminology
from homolog.suites.fhir.validator.values import contains, equals

__all__ = ["UnknownProfile", "Validator"]

_MAX_DEPTH = 12
_CODED = ("code", "Coding", "CodeableConcept", "string", "uri", "Quantity")
_SD_PREFIX = "http://hl7.org/fhir/StructureDefinition/"
_REGEX_EXT = "http://hl7.org/fhir/StructureDefinition/regex"
_MAX_STRING = 1024 * 1024
# Strings up to this length cannot exceed _MAX_STRING bytes in UTF-8.
_QUICK_STRING = _MAX_STRING // 4
_EXTENSION_KEYS = ("extension", "modifierExtension")
# Primitive types whose JSON value is not a string, or whose regex fhirkit already applies
# more cheaply (and the R4 regexes of big base64 values cost time for nothing).
_NO_REGEX = frozenset({"boolean", "integer", "decimal", "positiveInt", "unsignedInt", "base64Binary", "xhtml"})
_UNKNOWN_EXTENSION_SEVERITIES = ("error", "warning", "information")

Seg = str | tuple[str, str]  # an element name, or ("extension", url)
_MISSING: Any = object()
_FULL_CHECK: Any = object()


class UnknownProfile(LookupError):
    """The profile asked for is not in the loaded packages."""


@dataclass(slots=True)
class _Item:
    """One value found in the instance, with where it is and its type when known."""

    value: Any
    loc: str
    type_code: str | None = None
    # The `_name` companion of a primitive (its id and extensions).
    ext: Any = None
    # Where an extension sits: (element paths, element type), for its context rule.
    host: tuple[tuple[str, ...], str | None] | None = None
    # The element path of the value when it is walked with its type's own profile.
    outer_path: str | None = None


@dataclass(slots=True)
class _Ctx:
    root: dict[str, Any]
    issues: list[Issue] = field(default_factory=list)
    depth: int = 0
    seen_invariants: set[tuple[str, str]] = field(default_factory=set)
    # FHIRPath %rootResource: the container of a contained resource, else `root`.
    root_resource: dict[str, Any] | None = None
    # Narrative divs parsed during this validation (txt-1 and txt-2 read the same one).
    html: dict[str, Any] = field(default_factory=dict)
    # id(%rootResource) -> the ids of its contained resources (ref-1 asks for each Reference).
    contained: dict[int, frozenset[str]] = field(default_factory=dict)

    def add(self, severity: str, loc: str, message: str, code: str) -> None:
        self.issues.append(Issue(severity, loc, message, code))

    def child(self) -> _Ctx:
        return _Ctx(self.root, [], self.depth + 1, self.seen_invariants, self.root_resource, self.html, self.contained)

    def contained_ids(self) -> frozenset[str]:
        """FHIRPath's %rootResource.contained.id (the ids that are strings: no other equals one)."""
        root = self.root_resource if self.root_resource is not None else self.root
        ids = self.contained.get(id(root))
        if ids is None:
            listed = root.get("contained")
            ids = self.contained[id(root)] = (
                frozenset(c["id"] for c in listed if isinstance(c, dict) and isinstance(c.get("id"), str))
                if isinstance(listed, list)
                else frozenset()
            )
        return ids


@functools.lru_cache(maxsize=1024)
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
    """Validates R4 JSON resources against base R4 and FHIR profiles of loaded packages.

    `unknown_extensions` is the severity of an extension whose definition is in no loaded
    package (`error` by default, as the HL7 validator; `warning` or `information` to relax).
    """

    def __init__(
        self,
        conformance: Conformance,
        *,
        base: bool = True,
        invariants: bool = True,
        terminology: bool = True,
        unknown_extensions: str = "error",
    ) -> None:
        if unknown_extensions not in _UNKNOWN_EXTENSION_SEVERITIES:
            raise ValueError(f"unknown_extensions must be one of {', '.join(_UNKNOWN_EXTENSION_SEVERITIES)}")
        self.conformance = conformance
        self.base = base
        self.check_invariants = invariants
        self.check_terminology = terminology
        self.unknown_extensions = unknown_extensions
        self.terminology = Terminology(conformance)
        self.invariants = Invariants()
        self._trees: dict[str, ProfileTree | None] = {}
        self._regexes: dict[str, re.Pattern[str] | None] = {}
        self._derives: dict[tuple[str, str], bool] = {}
        self._child_plans: dict[int, _ChildPlan] = {}
        # Compiled once per element definition (ids of plan nodes; the node is kept
        # beside to rule out a reused id).
        self._expected_cache: dict[tuple[int, str], tuple[ElementNode, list[tuple[str, Any]] | None]] = {}
        self._targets: dict[int, tuple[ElementNode, frozenset[str] | None]] = {}
        self._slice_indexes: dict[int, tuple[ElementNode, tuple[list[Seg], dict[str, int]] | None]] = {}
        self._slice_types: dict[int, tuple[ElementNode, frozenset[str]]] = {}
        self._datatypes: dict[str, ProfileTree | None] = {}
        self._quick: dict[str, Any] = {}
        self._ancestry: dict[str, frozenset[str]] = {}
        # (extension url, host element paths and type) → whether the extension may sit there
        self._context_allowed: dict[tuple[str, tuple[tuple[str, ...], str | None]], bool] = {}
        self._constraint_plans: dict[int, _ConstraintPlan] = {}
        names = {p.name for p in conformance.packages}
        self.core_loaded = "hl7.fhir.r4.core" in names
        # Without the terminology package, the code systems of terminology.hl7.org are the
        # older copies inside hl7.fhir.r4.core: a code missing there may exist today.
        self.tho_loaded = any(n.startswith("hl7.terminology") for n in names)
        self.extension_pack_loaded = any(n.startswith("hl7.fhir.uv.extensions") for n in names)

    # -- public API ---------------------------------------------------------------

    @property
    def missing(self) -> list[MissingDependency]:
        """Dependencies of the loaded packages that were not found, and what that weakens."""
        return self.conformance.missing_dependencies()

    def tree(self, canonical: str) -> ProfileTree | None:
        """The compiled snapshot of a loaded profile (None when it is not loaded)."""
        key = canonical
        if key not in self._trees:
            sd = self.conformance.structure_definition(canonical)
            try:
                tree = compile_profile(sd) if sd else None
                if tree is not None and tree.url.startswith(_SD_PREFIX):
                    _apply_errata(tree)
                self._trees[key] = tree
            except ValueError:
                self._trees[key] = None  # no snapshot (logical models of the core package)
        return self._trees[key]

    def resolve_profile(self, name: str) -> str:
        """The canonical URL of a profile given by URL, StructureDefinition id or name."""
        if self.conformance.structure_definition(name) is not None:
            return name
        found = self.conformance.by_name("StructureDefinition", name)
        urls = sorted({str(sd.get("url")) for sd in found})
        if len(urls) == 1:
            return urls[0]
        if len(urls) > 1:
            raise UnknownProfile(f"profile name {name!r} is ambiguous: {', '.join(urls)}")
        raise UnknownProfile(f"profile {name} is not in the loaded FHIR packages")

    def validate(self, resource: Any, profile: str | None = None) -> list[Issue]:
        """Issues of `resource` against base R4 and `profile` (or its loaded meta.profile).

        Raises `UnknownProfile` when `profile` is given but not loaded.
        """
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            return [Issue("fatal", "$", "not a FHIR resource (no resourceType)", "structure")]
        return self._validate(resource, profile, fhirkit.validate(resource) if self.base else [])

    def validate_text(self, text: str | bytes, profile: str | None = None) -> list[Issue]:
        """`validate` on JSON text, as it comes from a server or a file (a fatal issue if not JSON).

        The base R4 pass reads the text directly, which is cheaper than reading it back
        from Python objects.
        """
        try:
            base = fhirkit.validate(text) if self.base else []
            resource = json.loads(text)
        except (fhirkit.ParseError, ValueError, RecursionError) as exc:
            return [Issue("fatal", "$", f"not valid JSON: {exc}", "structure")]
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            return [Issue("fatal", "$", "not a FHIR resource (no resourceType)", "structure")]
        return self._validate(resource, profile, base)

    def _validate(self, resource: dict[str, Any], profile: str | None, base: list[Any]) -> list[Issue]:
        ctx = _Ctx(resource)
        for bi in base:
            ctx.add(bi.severity, bi.path, bi.message, "structure")
        if profile is not None and self.tree(profile) is None:
            raise UnknownProfile(f"profile {profile} is not in the loaded FHIR packages")
        first = len(ctx.issues)
        try:
            self._resource(resource, resource["resourceType"], ctx, profile)
        except RecursionError:
            # A hostile document nested deeper than any FHIR resource: say so, never crash.
            return [Issue("fatal", "$", "the resource is nested too deeply to be validated", "structure")]
        said = {i.location for i in ctx.issues[:first] if i.is_error}
        if said:
            # fhirkit already reported the element (a missing required element, a bad date):
            # the same finding from the definitions would only repeat it.
            ctx.issues[first:] = [
                i for i in ctx.issues[first:] if not (i.location in said and i.code in ("cardinality", "structure"))
            ]
        return _dedupe(ctx.issues)

    def validate_against(self, value: Any, profile: str, location: str) -> list[Issue]:
        """Issues of a datatype or extension `value` against `profile` (no base R4 pass)."""
        tree = self.tree(profile)
        if tree is None:
            raise UnknownProfile(f"profile {profile} is not in the loaded FHIR packages")
        ctx = _Ctx(value if isinstance(value, dict) else {})
        self._instance(tree.root, _Item(value, location, tree.type), tree, ctx)
        return _dedupe(ctx.issues)

    # -- resources ----------------------------------------------------------------

    def _derives_from(self, tree: ProfileTree, base_url: str) -> bool:
        key = (tree.url, base_url)
        if key not in self._derives:
            seen: set[str] = set()
            current: ProfileTree | None = tree
            found = False
            while current is not None and current.url not in seen:
                if current.url == base_url:
                    found = True
                    break
                seen.add(current.url)
                current = self.tree(current.base_definition) if current.base_definition else None
            self._derives[key] = found
        return self._derives[key]

    def _resource(self, resource: dict[str, Any], loc: str, ctx: _Ctx, profile: str | None = None) -> None:
        """Every definition a resource must meet, walked from `loc`."""
        rtype = resource.get("resourceType")
        if not isinstance(rtype, str):
            ctx.add("error", loc, "a resource here must have a resourceType", "structure")
            return
        base_url = _SD_PREFIX + rtype
        trees: list[ProfileTree] = []
        if profile is not None:
            tree = self.tree(profile)
            assert tree is not None
            trees.append(tree)
        else:
            meta = resource.get("meta")
            declared = meta.get("profile") if isinstance(meta, dict) else None
            for p in declared if isinstance(declared, list) else []:
                if not isinstance(p, str):
                    continue
                tree = self.tree(p)
                if tree is None:
                    ctx.add("information", f"{loc}.meta.profile", f"profile {p} not loaded; not checked", "profile")
                else:
                    trees.append(tree)
            if rtype == "Observation":
                for url in special.implied_observation_profiles(resource):
                    tree = self.tree(url)
                    # A declared profile built on it already carries its rules.
                    if tree is not None and not any(self._derives_from(t, url) for t in trees):
                        trees.append(tree)
        for tree in trees:
            if tree.type != rtype:
                ctx.add("error", loc, f"profile {tree.url} is for {tree.type}, not {rtype}", "profile")
        trees = [t for t in trees if t.type == rtype]
        if not any(self._derives_from(t, base_url) for t in trees):
            base = self.tree(base_url)
            if base is not None:
                trees.insert(0, base)
            elif self.core_loaded:
                ctx.add("error", f"{loc}.resourceType", f"unknown resource type {rtype}", "structure")
            elif profile is None and not trees:
                ctx.add(
                    "information",
                    loc,
                    f"base definition of {rtype} not loaded (hl7.fhir.r4.core missing): only fhirkit's checks ran",
                    "profile",
                )
        if self.core_loaded:
            for issue in special.resource_rules(self, resource, loc):
                ctx.issues.append(issue)
        outer = ctx.root, ctx.root_resource
        if ctx.root_resource is None or ".contained[" not in loc:
            ctx.root_resource = resource
        ctx.root = resource
        try:
            for tree in trees:
                self._instance(tree.root, _Item(resource, loc, rtype), tree, ctx)
        finally:
            ctx.root, ctx.root_resource = outer

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
        type_code = item.type_code or node.single_type
        if item.ext is not None:
            self._primitive_extensions(node, item, type_code, ctx)
        if value is None:
            if item.ext is not None and type_code == "code" and node.binding and node.binding[0] == "required":
                ctx.add(
                    "error", item.loc, f"no code provided, and a code is required from {node.binding[1]}", "binding"
                )
            return
        if isinstance(value, str) and not (node.name == "id" and tree.kind == "resource" and node.path.count(".") == 1):
            # (A resource id has its own rule, with the HL7 validator's message: `special`.)
            self._primitive(value, item.loc, type_code, ctx)
        if self.check_terminology and (node.binding is not None or type_code in ("Coding", "CodeableConcept")):
            self._binding(node, item, type_code, ctx)
        if self.check_invariants and node.constraints:
            compiled = node.compiled
            if compiled is None:
                compiled = node.compiled = _plan_constraints(node.constraints)
            if compiled[1]:
                self._invariants(node, item, type_code, tree, ctx)
            elif compiled[0] and isinstance(value, dict) and (not value or (len(value) == 1 and "id" in value)):
                ctx.add("error", item.loc, "ele-1: All FHIR elements must have a @value or children", "invariant")
        if not isinstance(value, dict) or ctx.depth >= _MAX_DEPTH:
            return
        if type_code == "Reference":
            self._reference_target(node, item, ctx)
        elif type_code == "Attachment":
            ctx.issues += special.attachment_problems(value, item.loc)
        elif type_code == "Resource":
            self._resource(value, item.loc, ctx)
            return
        if type_code == "Extension" and node is not tree.root and self._extension(node, item, tree, ctx):
            return
        walked = self._type_profiles(node, item, type_code, ctx) if node.type_profiles else False
        children = node.children
        if not children:
            ref = node.content_reference
            if ref is not None and ref.startswith("#"):
                target = tree.by_id.get(ref[1:]) or tree.by_path.get(ref[1:])
                children = target.children if target is not None else {}
            elif not walked and type_code and type_code[:1].isupper() and type_code != tree.type:
                dt = self._datatype(type_code)
                if dt is not None:
                    self._children(dt.root, value, item.loc, dt, ctx, type_code, item.outer_path or node.path)
                return
        if children:
            outer = item.outer_path if node is tree.root else None
            self._children_of(node, children, value, item.loc, tree, ctx, type_code, outer)

    def _datatype(self, code: str) -> ProfileTree | None:
        try:
            return self._datatypes[code]
        except KeyError:
            tree = self.tree(_SD_PREFIX + code)
            found = tree if tree is not None and tree.kind in ("complex-type", "primitive-type") else None
            self._datatypes[code] = found
            return found

    def _children(
        self,
        node: ElementNode,
        obj: dict[str, Any],
        loc: str,
        tree: ProfileTree,
        ctx: _Ctx,
        type_code: str | None,
        outer_path: str,
    ) -> None:
        """A datatype's elements under an element of that type (`outer_path`)."""
        # A datatype's own invariants (per-1 on Period ...) sit on its root element.
        if self.check_invariants and node.constraints:
            compiled = node.compiled
            if compiled is None:
                compiled = node.compiled = _plan_constraints(node.constraints)
            if compiled[1]:
                self._constraints(node.constraints, _Item(obj, loc, type_code), tree.type, ctx)
            elif compiled[0] and (not obj or (len(obj) == 1 and "id" in obj)):
                ctx.add("error", loc, "ele-1: All FHIR elements must have a @value or children", "invariant")
        self._children_of(node, node.children, obj, loc, tree, ctx, type_code, outer_path)

    def _children_of(
        self,
        node: ElementNode,
        children: dict[str, ElementNode],
        obj: dict[str, Any],
        loc: str,
        tree: ProfileTree,
        ctx: _Ctx,
        type_code: str | None,
        outer_path: str | None = None,
    ) -> None:
        if "fhir_comments" in obj:
            ctx.add(
                "error", loc, "Unrecognized property 'fhir_comments' (removed from FHIR JSON after DSTU2)", "structure"
            )
        plan = self._child_plans.get(id(children))
        if plan is None or plan.children is not children:
            plan = self._child_plans[id(children)] = _ChildPlan(children, self._quick_test)
        shape = tuple(obj)
        walk = plan.shapes.get(shape)
        if walk is None:
            walk = plan.walk(shape)
        # Present elements, and absent ones that something requires (slices too), in order.
        for name, child, kind, quick in walk:
            if kind != _GENERAL:
                if kind == _SIMPLE:
                    v = obj.get(name)
                    # One string its cardinality allows, in a format the quick pattern accepts:
                    # nothing to say (the common case; `_primitive_ok`, decided per element).
                    if (
                        type(v) is str
                        and quick is not _FULL_CHECK
                        and len(v) <= _QUICK_STRING
                        and (quick is None or quick.fullmatch(v) is not None)
                    ):
                        continue
                    self._simple_primitive(child, v, loc, ctx)
                    continue
                if kind == _PLAIN:
                    if ctx.depth < _MAX_DEPTH:
                        self._plain_datatype(child, obj.get(name), loc, ctx)
                        continue
                elif kind == _FIXED:
                    self._fixed_primitive(child, obj.get(name), loc, ctx)
                    continue
                elif kind == _SINGLE:
                    v = obj.get(name)
                    if type(v) is not list:
                        # At most one value, without `_name`: `_gather` + `_element` without items
                        # to sort (no choice of types, no slices), the same rules.
                        where = f"{loc}.{name}"
                        if v is None:
                            if child.min > 0:
                                self._cardinality(child, 0, where, ctx)
                            continue
                        if child.min > 1 or child.max == 0:
                            self._cardinality(child, 1, where, ctx)
                        self._instance(child, _Item(v, where), tree, ctx)
                        continue
                else:
                    self._coded_primitive(child, obj.get(name), loc, ctx)
                    continue
            items, elem_loc = self._gather(child, obj, loc)
            if name in _EXTENSION_KEYS and items:
                paths = (node.path, node.type_path) if outer_path is None else (node.path, outer_path)
                host = (paths, type_code)
                for it in items:
                    it.host = host
            self._element(child, items, elem_loc, tree, ctx)

    def _simple_primitive(self, node: ElementNode, value: Any, loc: str, ctx: _Ctx) -> None:
        """A primitive element with no rule but cardinality and its format: no items built.

        Locations are only made when there is something to report.
        """
        values = value if isinstance(value, list) else [] if value is None else [value]
        n = len(values)
        if n < node.min or (node.max is not None and n > node.max):
            self._cardinality(node, n, f"{loc}.{node.name}", ctx)
        type_code = node.single_type
        for i, v in enumerate(values):
            if isinstance(v, str) and self._primitive_ok(v, type_code):
                continue
            where = f"{loc}.{node.name}[{i}]" if isinstance(value, list) else f"{loc}.{node.name}"
            if isinstance(v, str):
                self._primitive(v, where, type_code, ctx)

    def _plain_datatype(self, node: ElementNode, value: Any, loc: str, ctx: _Ctx) -> None:
        """An element of a datatype the definition does not constrain: walked with that
        datatype's own definition directly (same rules as `_element` + `_instance`)."""
        values = value if isinstance(value, list) else [] if value is None else [value]
        n = len(values)
        where = f"{loc}.{node.name}"
        if n < node.min or (node.max is not None and n > node.max):
            self._cardinality(node, n, where, ctx)
        type_code = node.single_type
        assert type_code is not None
        dt = self._datatype(type_code)
        listed = isinstance(value, list)
        codes = type_code == "Coding" and self.check_terminology
        for i, v in enumerate(values):
            vloc = f"{where}[{i}]" if listed else where
            if not isinstance(v, dict):
                continue  # base R4 (fhirkit) reports a primitive where an object belongs
            if codes:
                system, code = v.get("system"), v.get("code")
                if system and isinstance(code, str) and code:
                    self._code_in_system(system, code, vloc, ctx)
            if (not v or (len(v) == 1 and "id" in v)) and node.constraints:
                ctx.add("error", vloc, "ele-1: All FHIR elements must have a @value or children", "invariant")
            if type_code == "Reference":
                self._reference_target(node, _Item(v, vloc), ctx)
            if dt is not None:
                self._children(dt.root, v, vloc, dt, ctx, type_code, node.path)

    def _fixed_primitive(self, node: ElementNode, value: Any, loc: str, ctx: _Ctx) -> None:
        """A primitive element whose only rules are a fixed value, its cardinality and its format
        (same rules as `_element` + `_instance`, no items built)."""
        values = value if isinstance(value, list) else [] if value is None else [value]
        n = len(values)
        where = f"{loc}.{node.name}"
        if n < node.min or (node.max is not None and n > node.max):
            self._cardinality(node, n, where, ctx)
        assert node.fixed is not None
        key, fixed = node.fixed
        type_code = node.single_type
        listed = isinstance(value, list)
        for i, v in enumerate(values):
            if v is None:
                continue
            if type(v) is str and type(fixed) is str and v == fixed and self._primitive_ok(v, type_code):
                continue  # (the common case)
            vloc = f"{where}[{i}]" if listed else where
            if not equals(v, fixed):
                ctx.add("error", vloc, f"value must be exactly {_short(fixed)} ({key}), found {_short(v)}", "fixed")
            if isinstance(v, str):
                self._primitive(v, vloc, type_code, ctx)
            elif isinstance(v, dict) and (not v or (len(v) == 1 and "id" in v)) and _has_ele_1(node):
                ctx.add("error", vloc, "ele-1: All FHIR elements must have a @value or children", "invariant")

    def _coded_primitive(self, node: ElementNode, value: Any, loc: str, ctx: _Ctx) -> None:
        """A `code` element whose only rules are a binding, its cardinality and its format
        (same rules as `_element` + `_instance`, no walk of the element tree)."""
        values = value if isinstance(value, list) else [] if value is None else [value]
        n = len(values)
        where = f"{loc}.{node.name}"
        if n < node.min or (node.max is not None and n > node.max):
            self._cardinality(node, n, where, ctx)
        listed = isinstance(value, list)
        assert node.binding is not None
        strength, vs = node.binding
        # Bindings that `_binding` checks; a code found in the expansion leaves it nothing to say.
        checked = self.check_terminology and strength in ("required", "extensible", "preferred")
        exp = self.terminology.expand(vs) if checked else None
        for i, v in enumerate(values):
            if v is None:
                continue
            if type(v) is str and exp is not None and exp.has(None, v) and self._primitive_ok(v, "code"):
                continue  # (the common case)
            vloc = f"{where}[{i}]" if listed else where
            if isinstance(v, str) and not self._primitive_ok(v, "code"):
                self._primitive(v, vloc, "code", ctx)
            if checked:
                self._binding(node, _Item(v, vloc), "code", ctx)
            if isinstance(v, dict) and (not v or (len(v) == 1 and "id" in v)) and _has_ele_1(node):
                ctx.add("error", vloc, "ele-1: All FHIR elements must have a @value or children", "invariant")

    def _primitive_ok(self, value: str, type_code: str | None) -> bool:
        """True when `_primitive` has nothing to say (the common case, decided cheaply)."""
        if len(value) > _QUICK_STRING or not type_code:
            return len(value) <= _QUICK_STRING
        rx = self._quick_pattern(type_code)
        if rx is None:
            return True
        return rx is not _FULL_CHECK and rx.fullmatch(value) is not None

    def _quick_pattern(self, type_code: str) -> Any:
        """The pattern a string of `type_code` passes when `_primitive` has nothing to say
        about it (None: any string; _FULL_CHECK: only the full check can tell)."""
        rx = self._quick.get(type_code, _MISSING)
        if rx is _MISSING:
            # (uri, url, canonical and uuid have rules that need the full check)
            rx = self._quick[type_code] = (
                _FULL_CHECK if type_code in ("uri", "url", "canonical", "uuid") else self._regex(type_code)
            )
        return rx

    def _quick_test(self, node: ElementNode) -> Any:
        """For a simple primitive element: the pattern one string value of it passes when
        nothing is to be said about it (None: any string not too long; _FULL_CHECK: never
        decided without `_simple_primitive`, as when its cardinality forbids one value)."""
        if node.min > 1 or node.max == 0:
            return _FULL_CHECK
        return self._quick_pattern(node.single_type) if node.single_type else None

    def _gather(self, node: ElementNode, obj: dict[str, Any], loc: str) -> tuple[list[_Item], str]:
        name = node.name
        items: list[_Item] = []
        if node.is_choice:
            prefix = name[:-3]
            allowed = node.choice_types
            for key, val in obj.items():
                suffix = key[len(prefix) :]
                if not key.startswith(prefix) or not suffix[:1].isupper():
                    continue
                code = allowed.get(suffix)
                ext = obj.get("_" + key)
                items.append(_Item(val, f"{loc}.{key}", code if code else f"!{suffix}", ext))
            for key, ext in obj.items():
                # A choice primitive given only by its extensions (`_valueString`).
                if (
                    key.startswith("_" + prefix)
                    and key[1:] not in obj
                    and key[len(prefix) + 1 : len(prefix) + 2].isupper()
                ):
                    suffix = key[len(prefix) + 1 :]
                    code = allowed.get(suffix)
                    items.append(_Item(None, f"{loc}.{key[1:]}", code if code else f"!{suffix}", ext))
            return items, f"{loc}.{name}"
        val = obj.get(name)
        where = f"{loc}.{name}"
        ext = obj.get("_" + name)
        if ext is not None:
            if isinstance(val, list) or isinstance(ext, list):
                vals = val if isinstance(val, list) else [None] * len(ext)
                exts = ext if isinstance(ext, list) else []
                items = [
                    _Item(v, f"{where}[{i}]", None, exts[i] if i < len(exts) else None) for i, v in enumerate(vals)
                ]
                return items, where
            return [_Item(val, where, None, ext)], where
        if isinstance(val, list):
            items = [_Item(v, f"{where}[{i}]") for i, v in enumerate(val)]
        elif val is not None:
            items = [_Item(val, where)]
        return items, where

    def _cardinality(self, node: ElementNode, n: int, loc: str, ctx: _Ctx) -> None:
        label = f"slice '{node.slice_name}': " if node.slice_name else ""
        if n < node.min:
            ctx.add("error", loc, f"{label}minimum cardinality {node.min}, found {n}", "cardinality")
        else:
            what = "not allowed here" if node.max == 0 else f"maximum cardinality {node.max}"
            ctx.add("error", loc, f"{label}{what}, found {n}", "cardinality")

    def _element(self, node: ElementNode, items: list[_Item], loc: str, tree: ProfileTree, ctx: _Ctx) -> None:
        """Cardinality, types and slicing of one element over all its values in a parent."""
        n = len(items)
        if n < node.min or (node.max is not None and n > node.max):
            self._cardinality(node, n, loc, ctx)
        if not items and not node.slices:
            return
        good = items
        for it in items:
            if it.type_code and it.type_code[:1] == "!":
                good = []  # (a type outside the allowed ones: rare, sorted out below)
                break
        if good is not items:
            for it in items:
                if it.type_code and it.type_code[:1] == "!":
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
                bucket = buckets[i]
                if bucket or sl.min > 0 or sl.slices:  # (an empty optional slice has nothing to check)
                    self._element(sl, bucket, loc, tree, ctx)
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
            return
        for it in good:
            self._instance(node, it, tree, ctx)

    # -- slicing ------------------------------------------------------------------

    def _match_slice(self, node: ElementNode, item: _Item, ctx: _Ctx) -> int | str | None:
        """Index of the first slice `item` belongs to; None if none; a reason if undecidable."""
        discs = (node.slicing or {}).get("discriminator") or []
        index = self._slice_index(node, discs)
        if index is not None:
            segs, by_value = index
            cands = _project(item.value, segs)
            if all(isinstance(c, str) for c in cands):
                found = [by_value[c] for c in cands if c in by_value]
                return min(found) if found else None
        undecided: list[str] = []
        for i, sl in enumerate(node.slices):
            if not discs:
                if self._conforms(sl, item, ctx):
                    return i
                continue
            verdict: bool | None = True
            for d in discs:
                r = self._disc_matches(d, sl, item, ctx)
                if r is False:
                    verdict = False
                    break  # (one discriminator that fails settles it)
                if r is None:
                    verdict = None
            if verdict is True:
                return i
            if verdict is None:
                undecided.append(str(sl.slice_name))
        if undecided:
            return (
                "cannot tell whether it belongs to slice "
                + ", ".join(undecided)
                + " (its discriminator depends on a value set that is not loaded or on a "
                "path the validator does not follow, such as resolve())"
            )
        return None

    def _slice_index(self, node: ElementNode, discs: list[Any]) -> tuple[list[Seg], dict[str, int]] | None:
        """For one value/pattern discriminator whose slices each fix one string (an extension
        url, an identifier system): string → first slice index, so an item finds its slice by
        one lookup. None when the slicing is not of that simple kind."""
        cached = self._slice_indexes.get(id(node))
        if cached is not None and cached[0] is node:
            return cached[1]
        index: tuple[list[Seg], dict[str, int]] | None = None
        if len(discs) == 1 and isinstance(discs[0], dict) and discs[0].get("type") in ("value", "pattern"):
            path = str(discs[0].get("path", "$this"))
            segs = _parse_path(path)
            by_value: dict[str, int] = {}
            ok = segs is not None
            for i, sl in enumerate(node.slices):
                if not ok or segs is None:
                    break
                expected = self._expected(sl, segs)
                if not expected or len(expected) != 1 or expected[0][0] not in ("fixed", "pattern"):
                    ok = False
                    break
                value = expected[0][1]
                if not isinstance(value, str):
                    ok = False
                    break
                by_value.setdefault(value, i)
            if ok and segs is not None:
                index = (segs, by_value)
        self._slice_indexes[id(node)] = (node, index)
        return index

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
            key = (id(sl), path)
            cached = self._expected_cache.get(key)
            if cached is None or cached[0] is not sl:
                cached = self._expected_cache[key] = (sl, self._expected(sl, segs))
            expected = cached[1]
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
            cached_types = self._slice_types.get(id(sl))
            if cached_types is None or cached_types[0] is not sl:
                types = frozenset(type_suffix(c).lower() for c in sl.type_codes)
                cached_types = self._slice_types[id(sl)] = (sl, types)
            allowed = cached_types[1]
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

    def _primitive(self, value: str, loc: str, type_code: str | None, ctx: _Ctx) -> None:
        """Formats of string primitives from the datatype definitions (regex extension), and size."""
        if len(value) > _QUICK_STRING and len(value.encode()) > _MAX_STRING:
            ctx.add("error", loc, f"value is longer than the maximum of 1 MB ({_MAX_STRING} bytes)", "structure")
            return
        if not type_code or type_code in _NO_REGEX:
            return
        if type_code in ("uri", "url", "canonical", "uuid"):
            problem = special.uuid_problem(value)
            if problem:
                ctx.add("error", loc, problem, "value")
            if type_code == "url" and special.is_example_url(value):
                ctx.add("error", loc, f"example URLs are not allowed in this context ({value})", "value")
        rx = self._regex(type_code)
        if rx is not None and rx.fullmatch(value) is None:
            ctx.add("error", loc, f"{_short(value)} is not a valid {type_code} (pattern {rx.pattern})", "structure")

    def _regex(self, type_code: str) -> re.Pattern[str] | None:
        if type_code not in self._regexes:
            rx: re.Pattern[str] | None = None
            tree = self._datatype(type_code) if type_code[:1].islower() else None
            value = tree.by_path.get(f"{type_code}.value") if tree is not None else None
            for t in value.types if value is not None else []:
                for ext in t.get("extension") or []:
                    if (
                        isinstance(ext, dict)
                        and ext.get("url") == _REGEX_EXT
                        and isinstance(ext.get("valueString"), str)
                    ):
                        try:
                            # The definitions' regexes are read as the reference validator
                            # (Java) reads them: \s, \S, \d, \w are ASCII classes. Python's
                            # Unicode \s would take U+001C..U+001F for whitespace and refuse
                            # them in a string, which `[ \r\n\t\S]+` admits.
                            rx = re.compile(ext["valueString"], re.ASCII)
                        except re.error:
                            rx = None
            self._regexes[type_code] = rx
        return self._regexes[type_code]

    def resource_id_pattern(self) -> re.Pattern[str] | None:
        """The `id` datatype's pattern, which resource ids follow."""
        return self._regex("id")

    def _primitive_extensions(self, node: ElementNode, item: _Item, type_code: str | None, ctx: _Ctx) -> None:
        """The `_name` companion of a primitive: its id and extensions."""
        ext = item.ext
        if not isinstance(ext, dict):
            return
        host = ((node.path, node.type_path), type_code)
        loc = item.loc
        for key in _EXTENSION_KEYS:
            exts = ext.get(key)
            if not isinstance(exts, list):
                continue
            for i, e in enumerate(exts):
                self._extension_value(
                    e, f"{loc}.{key}[{i}]", host, ctx, modifier=key == "modifierExtension", on_primitive=True
                )

    def _extension(self, node: ElementNode, item: _Item, tree: ProfileTree, ctx: _Ctx) -> bool:
        """An Extension value: walked with its definition. True when nothing else is to do."""
        if node.type_profiles or node.children:
            return False  # a profile says what it is: the usual walk applies
        self._extension_value(item.value, item.loc, item.host, ctx, modifier=node.name == "modifierExtension")
        return True

    def _extension_value(
        self,
        value: Any,
        loc: str,
        host: tuple[tuple[str, ...], str | None] | None,
        ctx: _Ctx,
        *,
        modifier: bool,
        on_primitive: bool = False,
    ) -> None:
        if not isinstance(value, dict):
            return
        url = value.get("url")
        base = self._datatype("Extension")
        if not isinstance(url, str):
            if base is not None:
                self._instance(base.root, _Item(value, loc, "Extension"), base, ctx)
            return
        if "://" not in url and not url.startswith("urn:"):
            # A sub-extension of a complex extension (relative url) that no slice names.
            ctx.add("warning", loc, f"sub-extension '{url}' is not defined by its extension", "extension")
            return
        tree = self.tree(url)
        if tree is None:
            self._unknown_extension(url, loc, ctx, modifier=modifier, on_primitive=on_primitive)
            if base is not None:
                self._instance(base.root, _Item(value, loc, "Extension"), base, ctx)
            return
        if tree.type != "Extension":
            ctx.add("error", loc, f"{url} is a {tree.type} profile, not an extension", "extension")
            return
        if host is not None:
            self._extension_context(tree, url, loc, host, ctx)
        ctx.depth += 1
        try:
            self._instance(tree.root, _Item(value, loc, "Extension"), tree, ctx)
        finally:
            ctx.depth -= 1

    def _unknown_extension(self, url: str, loc: str, ctx: _Ctx, *, modifier: bool, on_primitive: bool) -> None:
        if modifier:
            ctx.add("error", loc, f"modifier extension {url} is not defined in the loaded packages", "extension")
            return
        if special.is_example_url(url):
            # As the HL7 validator: example extensions pass on elements, not on primitives.
            if on_primitive:
                ctx.add(
                    self.unknown_extensions,
                    loc,
                    f"extension {url} could not be found, so it is not allowed here",
                    "extension",
                )
                ctx.add("error", f"{loc}.url", f"example URLs are not allowed in this context ({url})", "value")
            else:
                ctx.add("information", loc, f"example extension {url} is not defined: not checked", "extension")
            return
        if url.startswith(_SD_PREFIX) and not self.extension_pack_loaded:
            ctx.add(
                "warning",
                loc,
                f"extension {url} is not defined in the loaded packages; it may come from the HL7 extension "
                "pack (hl7.fhir.uv.extensions), which is not loaded: not checked",
                "extension",
            )
            return
        ctx.add(
            self.unknown_extensions,
            loc,
            f"extension {url} could not be found in the loaded packages, so it is not allowed here",
            "extension",
        )

    def _extension_context(
        self, tree: ProfileTree, url: str, loc: str, host: tuple[tuple[str, ...], str | None], ctx: _Ctx
    ) -> None:
        key = (tree.url, host)
        allowed = self._context_allowed.get(key)
        if allowed is None:
            allowed = self._context_check(tree, host)
            if len(self._context_allowed) < _MAX_CONTEXTS:
                self._context_allowed[key] = allowed
        if allowed:
            return
        paths, host_type = host
        shown = ", ".join(sorted(n for n in (host_type, *paths) if n))
        contexts = ", ".join(str(c.get("expression")) for c in tree.context)
        ctx.add(
            "error",
            loc,
            f"extension {url} is not allowed at this point (this element is [{shown}]; allowed contexts: {contexts})",
            "extension",
        )

    def _context_check(self, tree: ProfileTree, host: tuple[tuple[str, ...], str | None]) -> bool:
        """Whether the extension `tree` may sit on `host` (its element paths, its type)."""
        paths, host_type = host
        if not tree.context or any(p.startswith("ElementDefinition") for p in paths):
            # Snapshots carry tooling extensions (structuredefinition-fhir-type on `type`)
            # outside their stated context; the HL7 tools accept them there.
            return True
        names = set(paths)
        for p in paths:
            if "." not in p:
                names.add("Resource")
                names.add("DomainResource")
        if host_type:
            names.update(self._type_ancestry(host_type))
        for c in tree.context:
            kind, expr = c.get("type"), str(c.get("expression", ""))
            if kind != "element" or expr in ("Element", "Base") or expr in names:
                return True
            # `Quantity.value` also covers SimpleQuantity.value, `Resource` every resource ...
            head, _, rest = expr.partition(".")
            if rest and any(
                p.partition(".")[2] == rest and head in self._type_ancestry(p.partition(".")[0]) for p in paths
            ):
                return True
        return False

    def _type_ancestry(self, type_code: str) -> frozenset[str]:
        """`type_code` and the types it specialises or constrains (Age → Quantity → Element)."""
        found = self._ancestry.get(type_code)
        if found is None:
            found = self._ancestry[type_code] = self._ancestry_of(type_code)
        return found

    def _ancestry_of(self, type_code: str) -> frozenset[str]:
        out = {type_code}
        tree = self.tree(_SD_PREFIX + type_code)
        seen: set[str] = set()
        while tree is not None and tree.base_definition and tree.url not in seen:
            seen.add(tree.url)
            out.add(tree.type)
            base = tree.base_definition
            out.add(base.rsplit("/", 1)[-1])
            tree = self.tree(base)
        return frozenset(out)

    def _type_profiles(self, node: ElementNode, item: _Item, type_code: str | None, ctx: _Ctx) -> bool:
        """Walk the profiles the element's type names; True when one was walked."""
        if item.value is None or ctx.depth >= _MAX_DEPTH:
            return False
        profiles = node.type_profiles.get(type_code) if type_code else node.type_profiles.get(None)
        if not profiles:
            return False
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
            return False
        walk = _Item(item.value, item.loc, type_code, host=item.host, outer_path=item.outer_path or node.path)
        if len(loaded) == 1:
            # One profile: its issues are the element's; no choice to make between walks.
            tree = self.tree(loaded[0])
            assert tree is not None
            ctx.depth += 1
            try:
                self._instance(tree.root, walk, tree, ctx)
            finally:
                ctx.depth -= 1
            return True
        best: list[Issue] | None = None
        for p in loaded:
            tree = self.tree(p)
            assert tree is not None
            sub = ctx.child()
            self._instance(tree.root, walk, tree, sub)
            errors = sum(1 for i in sub.issues if i.is_error)
            if best is None or errors < sum(1 for i in best if i.is_error):
                best = sub.issues
            if errors == 0:
                break
        ctx.issues.extend(best or [])
        return True

    def _reference_target(self, node: ElementNode, item: _Item, ctx: _Ctx) -> None:
        ref = item.value.get("reference")
        if not isinstance(ref, str) or ref.startswith("#") or "/" not in ref:
            return
        parts = ref.split("?")[0].rstrip("/").split("/")
        # Relative `Type/id` or `Type/id/_history/v`, or an absolute URL ending the same way.
        rtype = parts[-4] if len(parts) >= 4 and parts[-2] == "_history" else parts[-2]
        cached = self._targets.get(id(node))
        if cached is None or cached[0] is not node:
            cached = self._targets[id(node)] = (node, self._target_types(node))
        allowed = cached[1]
        if allowed and "Resource" not in allowed and rtype not in allowed:
            ctx.add(
                "error",
                item.loc + ".reference",
                f"reference to {rtype} not allowed here (allowed: {', '.join(sorted(allowed))})",
                "type",
            )

    def _target_types(self, node: ElementNode) -> frozenset[str] | None:
        """Resource types a Reference element may point to (None: cannot tell)."""
        allowed: set[str] = set()
        for t in node.types:
            for tp in t.get("targetProfile") or []:
                tp = _strip_version(str(tp))
                tree = self.tree(tp)
                if tree is not None:
                    allowed.add(tree.type)
                elif tp.startswith(_SD_PREFIX):
                    allowed.add(tp[len(_SD_PREFIX) :])
                else:
                    return None  # cannot tell which type that profile constrains
        return frozenset(allowed)

    def _binding(self, node: ElementNode, item: _Item, type_code: str | None, ctx: _Ctx) -> None:
        if type_code not in _CODED:
            return
        codings = _codings(item.value, type_code)
        if type_code == "Coding":
            # (A CodeableConcept's codings are each walked as Coding: checked there once.)
            for system, code in codings:
                if system and code:
                    self._code_in_system(system, code, item.loc, ctx)
        if node.binding is None:
            return
        strength, vs = node.binding
        if strength not in ("required", "extensible", "preferred"):
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
            if strength == "required" and type_code == "CodeableConcept" and not item.value.get("text"):
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
        if strength == "required" and not self.tho_loaded and _is_tho(codings, exp):
            ctx.add(
                "warning",
                item.loc,
                f"{shown} is not in value set {vs} as hl7.fhir.r4.core states it; hl7.terminology.r4 is not "
                "loaded, so newer codes cannot be told apart (required binding)",
                "binding",
            )
            return
        severity = "error" if strength == "required" else "warning"
        ctx.add(severity, item.loc, f"{shown} is not in value set {vs} ({strength} binding)", "binding")

    def _code_in_system(self, system: str, code: str, loc: str, ctx: _Ctx) -> None:
        known = self.terminology.code_known(system, code)
        if known is not False:
            return
        if system.startswith("http://terminology.hl7.org/") and not self.tho_loaded:
            ctx.add(
                "warning",
                loc,
                f"code '{code}' is not in the copy of {system} inside hl7.fhir.r4.core "
                "(hl7.terminology.r4 not loaded: it may exist in the current release)",
                "binding",
            )
            return
        ctx.add("error", loc, f"code '{code}' is not defined in code system {system}", "binding")

    def _invariants(self, node: ElementNode, item: _Item, type_code: str | None, tree: ProfileTree, ctx: _Ctx) -> None:
        if not node.constraints:
            return
        if node is tree.root:
            type_name = tree.type
        elif (type_code and type_code not in ("BackboneElement", "Element") and type_code[:1].isupper()) or (
            type_code and type_code[:1].islower()
        ):
            type_name = type_code
        else:
            type_name = node.path
        self._constraints(node.constraints, item, type_name, ctx)

    def _constraints(self, constraints: list[dict[str, Any]], item: _Item, type_name: str, ctx: _Ctx) -> None:
        plan = self._constraint_plans.get(id(constraints))
        if plan is None or plan.constraints is not constraints:
            ele_1, others = _plan_constraints(constraints)
            plan = self._constraint_plans[id(constraints)] = _ConstraintPlan(
                constraints, ([_ELE_1_RULE] if ele_1 else []) + others
            )
        value = item.value
        rules = plan.rules
        if type(value) is dict and self.invariants.use_fast:
            # Set aside the rules that hold on any object without the keys they read
            # (`fastpath.holds_without`): decided by the object's keys alone, once per shape.
            shape = tuple(value)
            todo = plan.shapes.get(shape)
            rules = todo if todo is not None else plan.for_shape(shape, value)
        for c in rules:
            kind = c.kind
            if kind == _ELE_1:
                # The rule is simple enough to apply directly (and fhirpathpy lacks hasValue()).
                # Primitives: base R4 (fhirkit) already rejects empty values.
                if isinstance(value, dict) and (not value or (len(value) == 1 and "id" in value)):
                    ctx.add("error", item.loc, "ele-1: All FHIR elements must have a @value or children", "invariant")
            elif kind == _EXT_1:
                if isinstance(value, dict):
                    has_ext = bool(value.get("extension"))
                    has_value = False
                    for k in value:
                        if k[:5] == "value" and k[5:6].isupper():
                            has_value = True
                            break
                    if has_ext == has_value:
                        ctx.add("error", item.loc, f"ext-1: {c.human}", "invariant")
            elif kind == _HTML:
                if isinstance(value, str):
                    parsed = ctx.html.get(value)
                    if parsed is None:
                        parsed = ctx.html[value] = special.parse_div(value)
                    problem = special.html_problem(c.key, c.source, parsed)
                    if problem:
                        ctx.add("error", item.loc, f"{c.key}: {problem}", "invariant")
            else:
                seen = (c.seen_key, item.loc)
                if seen in ctx.seen_invariants:
                    continue
                ctx.seen_invariants.add(seen)
                if kind == _DOM_3 and isinstance(value, dict):
                    holds, why = self.invariants.dom_3(value, type_name, ctx.root)
                elif kind == _REF_1 and (local := _local_reference(value)) is not None:
                    holds, why = local in ctx.contained_ids(), None
                elif kind == _REF_1 and _other_reference(value):
                    continue  # not a reference to a contained resource: ref-1 holds
                elif kind == _PER_1 and isinstance(value, dict):
                    holds, why = self.invariants.per_1(value)
                else:
                    holds, why = self.invariants.evaluate(c.expression, value, type_name, ctx.root, ctx.root_resource)
                if holds is False:
                    ctx.add(c.severity, item.loc, f"{c.key}: {c.human}", "invariant")
                elif holds is None:
                    ctx.add("information", item.loc, f"invariant {c.key} could not be evaluated ({why})", "invariant")


_ELE_1, _EXT_1, _HTML, _DOM_3, _REF_1, _PER_1, _FHIRPATH = range(7)


def _local_reference(value: Any) -> str | None:
    """The id a Reference names in its container ('#id'), or None when there is none to look
    up (no reference, another kind, '#' alone: its container), left to FHIRPath."""
    ref = value.get("reference") if isinstance(value, dict) else None
    if isinstance(ref, str) and ref[:1] == "#" and len(ref) > 1:
        return ref[1:]
    return None


def _other_reference(value: Any) -> bool:
    """A Reference whose reference is a string not naming a contained resource ('#...')."""
    ref = value.get("reference") if isinstance(value, dict) else None
    return isinstance(ref, str) and ref[:1] != "#"


@dataclass(frozen=True)
class _Constraint:
    """One ElementDefinition.constraint, ready to apply."""

    kind: int
    key: str
    expression: str
    severity: str
    human: str
    seen_key: str
    source: dict[str, Any]
    #: The keys (prefixes) without which the expression holds, when the compiled subset
    #: decides that for any object (`fastpath.compile_fast`); None when it does not.
    holds_without: tuple[str, ...] | None = None


_ELE_1_RULE = _Constraint(_ELE_1, "ele-1", "", "error", "", "", {})


class _ConstraintPlan:
    """The constraints of one element definition, ready to apply, and which of them an
    object of a given shape (its keys, in order) leaves to apply."""

    __slots__ = ("constraints", "rules", "shapes")

    def __init__(self, constraints: list[dict[str, Any]], rules: list[_Constraint]) -> None:
        self.constraints = constraints
        self.rules = rules
        self.shapes: dict[tuple[str, ...], list[_Constraint]] = {}

    def for_shape(self, shape: tuple[str, ...], value: dict[str, Any]) -> list[_Constraint]:
        """The rules an object with keys `shape` must be checked against (remembered for the
        next one of that shape): all but those that hold without keys it lacks."""
        todo = [c for c in self.rules if c.holds_without is None or not lacks_keys(value, c.holds_without)]
        if len(self.shapes) < _MAX_SHAPES:
            self.shapes[shape] = todo
        return todo


def _plan_constraints(constraints: list[dict[str, Any]]) -> tuple[bool, list[_Constraint]]:
    """(whether ele-1 applies, the other constraints ready to apply)."""
    out: list[_Constraint] = []
    ele_1 = False
    for c in constraints:
        key, expr = str(c.get("key", "?")), c.get("expression")
        if not isinstance(expr, str):
            continue
        if key == "ele-1":
            ele_1 = True
            continue
        kind = (
            _EXT_1
            if key == "ext-1"
            else _HTML
            if expr == "htmlChecks()"
            else _DOM_3
            if key == "dom-3" and expr == DOM_3
            else _REF_1
            if key == "ref-1" and expr == REF_1
            else _PER_1
            if key == "per-1" and expr == PER_1
            else _FHIRPATH
        )
        severity = "error" if c.get("severity") == "error" else "warning"
        absent = holds_without(expr) if kind == _FHIRPATH else None
        out.append(_Constraint(kind, key, expr, severity, str(c.get("human", expr)), f"{key}|{expr}", c, absent))
    return ele_1, out


# Corrections to hl7.fhir.r4.core 4.0.1 that HL7 published later (R4B technical
# corrections) and that the HL7 tooling applies when it loads R4: que-12 counted "> 2"
# enableWhen; the vital-signs profiles bound component values "required" to a UCUM
# subset although components may be coded (extensible since, as in FR Core).
_QUE_12_R4 = "enableWhen.count() > 2 implies enableBehavior.exists()"
_UCUM_VITALS = "http://hl7.org/fhir/ValueSet/ucum-vitals-common"


def _apply_errata(tree: ProfileTree) -> None:
    for node in tree.by_id.values():
        node.constraints = [
            dict(c, expression="enableWhen.count() > 1 implies enableBehavior.exists()")
            if c.get("key") == "que-12" and c.get("expression") == _QUE_12_R4
            else c
            for c in node.constraints
        ]
        if (
            node.binding is not None
            and node.binding[0] == "required"
            and node.binding[1].partition("|")[0] == _UCUM_VITALS
            and node.path == "Observation.component.value[x]"
        ):
            node.binding = ("extensible", node.binding[1])


def _is_tho(codings: list[tuple[str | None, str]], exp: Any) -> bool:
    systems = {s for s, _ in codings if s} | {s for s, _ in exp.codes}
    return any(s.startswith("http://terminology.hl7.org/") for s in systems)


_GENERAL, _SIMPLE, _PLAIN, _FIXED, _BOUND, _SINGLE = range(6)
# Bounds on the JSON keys and object shapes remembered per element (a hostile document
# may bring many).
_MAX_OWNERS = 512
_MAX_SHAPES = 256
# Extension contexts remembered (host paths come from the definitions, not the document).
_MAX_CONTEXTS = 4096


class _ChildPlan:
    """The child elements of one element definition, ready for a walk over a JSON object."""

    __slots__ = ("by_name", "children", "choices", "kinds", "order", "owners", "quick", "required", "shapes")

    def __init__(self, children: dict[str, ElementNode], quick_test: Callable[[ElementNode], Any]) -> None:
        self.children = children
        self.by_name = frozenset(name for name, c in children.items() if not c.is_choice)
        # (JSON prefix, element name) of choice elements: `value` for `value[x]`.
        self.choices = [(name[:-3], name) for name, c in children.items() if c.is_choice]
        self.required = frozenset(
            name for name, c in children.items() if c.min > 0 or any(sl.min > 0 for sl in c.slices)
        )
        self.order = {name: i for i, name in enumerate(children)}
        self.kinds = {name: _kind(c) for name, c in children.items()}
        # simple primitive element -> the pattern of its values with nothing to say (`Validator._quick_test`)
        self.quick = {name: quick_test(c) for name, c in children.items() if self.kinds[name] == _SIMPLE}
        # JSON key → the element it belongs to (None: no element), learnt as keys are met.
        self.owners: dict[str, str | None] = {}
        # The keys of a JSON object, in their order → its walk: (name, element, walk kind, quick
        # test of a simple primitive) of the elements present or required, in definition order.
        # Objects of one shape (every Coding with system, code and display) share it.
        self.shapes: dict[tuple[str, ...], list[tuple[str, ElementNode, int, Any]]] = {}

    def walk(self, shape: tuple[str, ...]) -> list[tuple[str, ElementNode, int, Any]]:
        """The walk of an object whose keys are `shape` (remembered for the next one)."""
        owners = self.owners
        found = {owners[key] if key in owners else self.owner(key) for key in shape}
        present = {name for name in found if name is not None} | self.required
        keys = set(shape)
        out: list[tuple[str, ElementNode, int, Any]] = []
        for name in sorted(present, key=self.order.__getitem__):
            kind = self.kinds[name]
            if kind != _GENERAL and kind != _PLAIN and "_" + name in keys:
                kind = _GENERAL  # a primitive with extensions (`_name`) takes the full walk
            out.append((name, self.children[name], kind, self.quick[name] if kind == _SIMPLE else None))
        if len(self.shapes) < _MAX_SHAPES:
            self.shapes[shape] = out
        return out

    def owner(self, key: str) -> str | None:
        """The element a JSON key belongs to: `name`, `_name`, or a choice `valueQuantity`."""
        name = key[1:] if key[:1] == "_" else key
        found: str | None = None
        if name in self.by_name:
            found = name
        else:
            for prefix, choice in self.choices:
                if name.startswith(prefix) and name[len(prefix) : len(prefix) + 1].isupper():
                    found = choice
                    break
        if len(self.owners) < _MAX_OWNERS:
            self.owners[key] = found
        return found


# Datatypes with rules of their own beyond their definition's elements (see `_instance`).
# (Coding and Reference have theirs applied by `_plain_datatype`.)
_SPECIAL_TYPES = frozenset({"Extension", "Attachment", "Resource", "BackboneElement", "Element"})


def _kind(node: ElementNode) -> int:
    """Which walk an element takes (a fast one when its rules allow)."""
    if _is_simple_primitive(node):
        return _SIMPLE
    if _is_plain_datatype(node):
        return _PLAIN
    code = node.single_type
    if code is None or not code[:1].islower() or code == "xhtml" or node.name == "id":
        return _single_or_general(node)
    rest_unconstrained = (
        node.pattern is None
        and not node.slices
        and not node.type_profiles
        and not node.is_choice
        and all(c.get("key") == "ele-1" for c in node.constraints)
    )
    if not rest_unconstrained:
        return _single_or_general(node)
    if node.fixed is not None and node.binding is None:
        return _FIXED
    if node.fixed is None and node.binding is not None and code == "code":
        return _BOUND
    return _single_or_general(node)


def _single_or_general(node: ElementNode) -> int:
    """The walk of an element with rules of its own: when its values need no sorting (one
    type, no slices; not the extensions, whose host is noted), a single value is checked
    directly (`_SINGLE`); anything else takes the general walk."""
    if node.is_choice or node.slices or node.name in _EXTENSION_KEYS:
        return _GENERAL
    return _SINGLE


def _has_ele_1(node: ElementNode) -> bool:
    compiled = node.compiled
    if compiled is None:
        compiled = node.compiled = _plan_constraints(node.constraints)
    return bool(compiled[0])


def _unconstrained(node: ElementNode) -> bool:
    """No rule on the element beyond its cardinality and its type's own definition."""
    return (
        node.fixed is None
        and node.pattern is None
        and node.binding is None
        and not node.slices
        and not node.type_profiles
        and not node.is_choice
        and all(c.get("key") == "ele-1" for c in node.constraints)
    )


def _is_plain_datatype(node: ElementNode) -> bool:
    """An element of a complex datatype that the definition leaves as the datatype defines it."""
    code = node.single_type
    return (
        code is not None
        and code[:1].isupper()
        and code not in _SPECIAL_TYPES
        and node.name not in _EXTENSION_KEYS
        and not node.children
        and node.content_reference is None
        and _unconstrained(node)
    )


def _is_simple_primitive(node: ElementNode) -> bool:
    """A primitive element whose only rules are its cardinality and its datatype's format."""
    code = node.single_type
    return code is not None and code[:1].islower() and code != "xhtml" and _unconstrained(node)


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
