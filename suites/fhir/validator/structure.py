"""A profile's snapshot compiled into a tree of element nodes (children and slices)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ElementNode", "ProfileTree", "compile_profile", "type_suffix"]


def type_suffix(code: str) -> str:
    """The suffix a choice element takes for a type: `string` → `String`."""
    if code.startswith("http://hl7.org/fhirpath/System."):
        code = code.rsplit(".", 1)[-1].lower()
    return code[:1].upper() + code[1:]


@dataclass
class ElementNode:
    """One ElementDefinition of a snapshot, with its child elements and its slices."""

    id: str
    path: str
    name: str
    slice_name: str | None
    definition: dict[str, Any]
    children: dict[str, ElementNode] = field(default_factory=dict)
    slices: list[ElementNode] = field(default_factory=list)

    @property
    def min(self) -> int:
        """Minimum cardinality."""
        return int(self.definition.get("min", 0))

    @property
    def max(self) -> int | None:
        """Maximum cardinality, None for `*`."""
        m = self.definition.get("max", "*")
        return None if m == "*" else int(m)

    @property
    def types(self) -> list[dict[str, Any]]:
        """The `type` entries (code, profile, targetProfile)."""
        return list(self.definition.get("type") or [])

    @property
    def type_codes(self) -> list[str]:
        """Type codes allowed here."""
        return [str(t.get("code", "")) for t in self.types]

    @property
    def fixed(self) -> tuple[str, Any] | None:
        """(`fixedX` key, value) when the element has a fixed value."""
        for k, v in self.definition.items():
            if k.startswith("fixed"):
                return k, v
        return None

    @property
    def pattern(self) -> tuple[str, Any] | None:
        """(`patternX` key, value) when the element has a pattern."""
        for k, v in self.definition.items():
            if k.startswith("pattern"):
                return k, v
        return None

    @property
    def slicing(self) -> dict[str, Any] | None:
        """The slicing definition, when this element is sliced."""
        s = self.definition.get("slicing")
        return s if isinstance(s, dict) else None

    @property
    def is_choice(self) -> bool:
        """True for `value[x]`-style elements."""
        return self.name.endswith("[x]")

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


def _split_id(element_id: str) -> list[str]:
    # Slice names never contain '.', element names never contain ':' (FHIR naming rules);
    # a '.' inside an extension('url') style id segment does not occur in snapshot ids.
    return element_id.split(".")


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
    return ProfileTree(
        url=str(sd.get("url")),
        type=str(sd.get("type")),
        kind=str(sd.get("kind")),
        root=root,
        by_id=by_id,
        by_path=by_path,
    )
