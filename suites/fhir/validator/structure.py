"""A StructureDefinition snapshot compiled once into a tree of element nodes (the validation plan)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ElementNode", "ProfileTree", "compile_profile", "type_suffix"]


def type_suffix(code: str) -> str:
    """The suffix a choice element takes for a type: `string` → `String`."""
    if code.startswith("http://hl7.org/fhirpath/System."):
        code = code.rsplit(".", 1)[-1].lower()
    return code[:1].upper() + code[1:]


_FHIR_TYPE_EXT = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
_SYSTEM_PREFIX = "http://hl7.org/fhirpath/System."


def _type_code(t: dict[str, Any]) -> str:
    """A type entry's FHIR type code (`System.String` elements carry it in an extension)."""
    code = str(t.get("code", ""))
    if code.startswith(_SYSTEM_PREFIX):
        for ext in t.get("extension") or []:
            if isinstance(ext, dict) and ext.get("url") == _FHIR_TYPE_EXT:
                return str(ext.get("valueUrl") or ext.get("valueUri") or code)
    return code


@dataclass(eq=False, slots=True)
class ElementNode:
    """One ElementDefinition of a snapshot, with its child elements and its slices.

    Everything the validator reads per instance value is computed once here (the
    validation plan); `definition` keeps the source for the rare lookups.
    """

    id: str
    path: str
    name: str
    slice_name: str | None
    definition: dict[str, Any]
    children: dict[str, ElementNode] = field(default_factory=dict)
    slices: list[ElementNode] = field(default_factory=list)
    min: int = field(init=False)
    max: int | None = field(init=False)
    types: list[dict[str, Any]] = field(init=False)
    type_codes: list[str] = field(init=False)
    fixed: tuple[str, Any] | None = field(init=False)
    pattern: tuple[str, Any] | None = field(init=False)
    slicing: dict[str, Any] | None = field(init=False)
    is_choice: bool = field(init=False)
    binding: tuple[str, str] | None = field(init=False)
    constraints: list[dict[str, Any]] = field(init=False)
    content_reference: str | None = field(init=False)
    type_profiles: dict[str | None, list[str]] = field(init=False)
    # The path relative to the nearest datatype (`HumanName.family` for Patient.name.family):
    # extension contexts name either.
    type_path: str = field(init=False)
    # For a choice element: the JSON suffix of each allowed type (`Quantity` → `Quantity`).
    choice_types: dict[str, str] = field(init=False)
    # The one type code when there is a single type (else None).
    single_type: str | None = field(init=False)
    # Filled by the validator on first use: the constraints ready to apply.
    compiled: Any = field(default=None, init=False)

    def __post_init__(self) -> None:
        d = self.definition
        self.min = int(d.get("min", 0))
        m = d.get("max", "*")
        self.max = None if m == "*" else int(m)
        self.types = list(d.get("type") or [])
        self.type_codes = [_type_code(t) for t in self.types]
        self.fixed = self.pattern = None
        for k, v in d.items():
            if k.startswith("fixed"):
                self.fixed = (k, v)
            elif k.startswith("pattern"):
                self.pattern = (k, v)
        s = d.get("slicing")
        self.slicing = s if isinstance(s, dict) else None
        self.is_choice = self.name.endswith("[x]")
        b = d.get("binding") or {}
        strength, vs = b.get("strength"), b.get("valueSet")
        self.binding = (str(strength), str(vs)) if isinstance(vs, str) and strength else None
        self.constraints = [c for c in d.get("constraint") or [] if isinstance(c, dict)]
        ref = d.get("contentReference")
        self.content_reference = ref if isinstance(ref, str) else None
        profiles: dict[str | None, list[str]] = {}
        for t, code in zip(self.types, self.type_codes, strict=True):
            for p in t.get("profile") or []:
                profiles.setdefault(code, []).append(str(p))
                profiles.setdefault(None, []).append(str(p))
        self.type_profiles = profiles
        self.type_path = self.path
        self.choice_types = {type_suffix(c): c for c in self.type_codes} if self.is_choice else {}
        self.single_type = self.type_codes[0] if len(self.type_codes) == 1 else None

    def fixed_or_pattern(self) -> tuple[str, Any] | None:
        """('fixed' | 'pattern', value) for this element, if any."""
        f = self.fixed
        if f is not None:
            return "fixed", f[1]
        p = self.pattern
        if p is not None:
            return "pattern", p[1]
        return None


@dataclass
class ProfileTree:
    """A compiled StructureDefinition snapshot."""

    url: str
    type: str
    kind: str
    root: ElementNode
    by_id: dict[str, ElementNode]
    by_path: dict[str, ElementNode]
    base_definition: str | None = None
    derivation: str | None = None
    abstract: bool = False
    context: list[dict[str, Any]] = field(default_factory=list)


def _split_id(element_id: str) -> list[str]:
    # Slice names never contain '.', element names never contain ':' (FHIR naming rules);
    # a '.' inside an extension('url') style id segment does not occur in snapshot ids.
    return element_id.split(".")


_STRUCTURAL = {"BackboneElement", "Element", "Resource", "DomainResource", ""}


def _set_type_paths(node: ElementNode, type_path: str) -> None:
    node.type_path = type_path
    for child in node.children.values():
        codes = node.type_codes
        if len(codes) == 1 and codes[0][:1].isupper() and codes[0] not in _STRUCTURAL and node.path.count("."):
            base = codes[0]
        else:
            base = type_path
        _set_type_paths(child, f"{base}.{child.name}")
    for sl in node.slices:
        _set_type_paths(sl, type_path)


def compile_profile(sd: dict[str, Any]) -> ProfileTree:
    """Build the element tree of a StructureDefinition from its snapshot."""
    elements = (sd.get("snapshot") or {}).get("element") or []
    if not elements:
        raise ValueError(f"{sd.get('url')}: StructureDefinition has no snapshot")
    by_id: dict[str, ElementNode] = {}
    by_path: dict[str, ElementNode] = {}
    root: ElementNode | None = None
    for ed in elements:
        eid = str(ed.get("id") or ed.get("path"))
        segs = _split_id(eid)
        last = segs[-1]
        name, _, slice_name = last.partition(":")
        node = ElementNode(eid, str(ed.get("path", "")), name, slice_name or None, ed)
        by_id[eid] = node
        if node.slice_name is None and "[" not in eid.split(":")[0] and ":" not in eid:
            by_path.setdefault(node.path, node)
        if len(segs) == 1 and not slice_name:
            root = node
            continue
        if slice_name:
            owner = by_id.get(".".join([*segs[:-1], name]))
            if owner is not None:
                owner.slices.append(node)
            continue
        parent = by_id.get(".".join(segs[:-1]))
        if parent is not None:
            parent.children[name] = node
    if root is None:
        raise ValueError(f"{sd.get('url')}: snapshot has no root element")
    _set_type_paths(root, root.path)
    return ProfileTree(
        url=str(sd.get("url")),
        type=str(sd.get("type")),
        kind=str(sd.get("kind")),
        root=root,
        by_id=by_id,
        by_path=by_path,
        base_definition=sd.get("baseDefinition") if isinstance(sd.get("baseDefinition"), str) else None,
        derivation=sd.get("derivation") if isinstance(sd.get("derivation"), str) else None,
        abstract=bool(sd.get("abstract")),
        context=[c for c in sd.get("context") or [] if isinstance(c, dict)],
    )
