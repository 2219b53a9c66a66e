"""FHIRPath invariants (ElementDefinition.constraint) evaluated with fhirpathpy on R4."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable
from typing import Any

import fhirpathpy
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.models import models

from homolog.suites.fhir.validator.fastpath import Unsupported, compile_fast, date_order

__all__ = ["DOM_3", "PER_1", "REF_1", "InvariantResult", "Invariants"]

_R4 = models["r4"]

# (holds, error text): holds is None when the expression could not be evaluated.
InvariantResult = tuple[bool | None, str | None]

_UNSET: Any = object()
_HOLDS: InvariantResult = (True, None)

# fhirpathpy does not implement hasValue(); on the elements these invariants test,
# exists() gives the same answer except for a primitive that carries only extensions.
_HAS_VALUE = re.compile(r"\.hasValue\(\)")

# R4's dom-3, word for word. It applies as() to every descendant of the resource, which
# FHIRPath makes an error (as() takes one item): fhirpathpy cannot evaluate it on a resource
# with contained resources. HL7's validator filters instead, and R5 wrote the same invariant
# with ofType(). Evaluated as that, it would also walk every descendant of the resource
# again for each contained resource (a resource with 200 took 10 s): `dom_3` collects what
# the resource refers to once.
DOM_3 = (
    "contained.where((('#'+id in (%resource.descendants().reference | %resource.descendants().as(canonical) | "
    "%resource.descendants().as(uri) | %resource.descendants().as(url))) or descendants().where(reference = '#')"
    ".exists() or descendants().where(as(canonical) = '#').exists() or descendants().where(as(canonical) = '#')"
    ".exists()).not()).trace('unmatched', id).empty()"
)
# R4's ref-1: a local reference names a contained resource. Evaluated per Reference it
# reads every contained resource's id again (quadratic in a resource referring to each of
# many contained ones): the engine looks the id up in the set of them, made once.
REF_1 = (
    "reference.startsWith('#').not() or "
    "(reference.substring(1).trace('url') in %rootResource.contained.id.trace('ids'))"
)
# R4's per-1, word for word. FHIRPath leaves the order of two dates of different precision
# unknown ("2023-06-21" and "2023-06-21T06:20:00Z"), so the expression gives an empty
# result, which HL7's validator reads as the constraint not met (its test case
# encounter-period): `per_1` reads it the same way, and orders the dates as FHIRPath does.
PER_1 = "start.hasValue().not() or end.hasValue().not() or (start <= end)"
_REFERRED_TO = (
    "%resource.descendants().reference | %resource.descendants().ofType(canonical) | "
    "%resource.descendants().ofType(uri) | %resource.descendants().ofType(url)"
)
_REFERS_TO_CONTAINER = (
    "descendants().where(reference = '#').exists() or descendants().where(as(canonical) = '#').exists()"
)


class Invariants:
    """Compiled FHIRPath expressions, cached by text.

    The common subset runs compiled to Python (`fastpath`); the rest, and any
    evaluation the subset cannot answer, runs with fhirpathpy.
    """

    def __init__(self, *, fast: bool = True) -> None:
        self._compiled: dict[str, Callable[..., list[Any]] | Exception] = {}
        self._fast: dict[str, Callable[..., list[Any]] | None] = {}
        self.use_fast = fast

    def _compile(self, expression: str) -> Callable[..., list[Any]] | Exception:
        fn = self._compiled.get(expression)
        if fn is None:
            try:
                fn = fhirpathpy.compile(_HAS_VALUE.sub(".exists()", expression), _R4)
            except Exception as exc:  # a grammar the library does not support
                fn = exc
            self._compiled[expression] = fn
        return fn

    def evaluate(
        self,
        expression: str,
        value: Any,
        type_name: str,
        root: dict[str, Any],
        root_resource: dict[str, Any] | None = None,
    ) -> InvariantResult:
        """Evaluate `expression` on `value` typed as `type_name` (R4 type or element path)."""
        if self.use_fast:
            fast = self._fast.get(expression, _UNSET)
            if fast is _UNSET:
                try:
                    fast = compile_fast(expression)
                except Unsupported:
                    fast = None
                self._fast[expression] = fast
            if fast is not None:
                try:
                    result = fast(value, type_name, root, root_resource or root)
                except Unsupported:
                    pass
                else:
                    if not result or (len(result) == 1 and result[0] is True):
                        return _HOLDS  # (the common case, without building a verdict)
                    return _verdict(result)
        fn = self._compile(expression)
        if isinstance(fn, Exception):
            return None, f"cannot parse: {fn}"
        try:
            node = ResourceNode.create_node(value, type_name)
            # trace() in an expression prints to stdout: keep it out of reports.
            with contextlib.redirect_stdout(io.StringIO()):
                result = fn(node, {"resource": root, "rootResource": root_resource or root})
        except Exception as exc:  # evaluation errors are reported, not hidden
            return None, _stable(f"{type(exc).__name__}: {exc}")
        return _verdict(result)

    def dom_3(self, resource: dict[str, Any], type_name: str, root: dict[str, Any]) -> InvariantResult:
        """R4's dom-3 on `resource` as HL7's validator reads it: every contained resource with
        an id is referred to from the resource (`root`, FHIRPath's %resource: a Reference, a
        canonical, uri or url value '#id'), or refers to its container ('#')."""
        listed = resource.get("contained")
        if not isinstance(listed, list):
            return _HOLDS
        contained = [c for c in listed if isinstance(c, dict) and c.get("id") is not None]
        if not contained:
            return _HOLDS  # (without an id, '#'+id is empty and where() leaves the resource out)
        if any(not isinstance(c["id"], str) for c in contained):
            return None, "a contained resource's id is not a string"
        try:
            referred = {v for v in self._values(_REFERRED_TO, resource, type_name, root) if isinstance(v, str)}
            for c in contained:
                if "#" + c["id"] in referred:
                    continue
                own_type = c.get("resourceType")
                if self._values(
                    _REFERS_TO_CONTAINER, c, own_type if isinstance(own_type, str) else "Resource", root
                ) != [True]:
                    return False, None
        except Exception as exc:  # evaluation errors are reported, not hidden
            return None, _stable(f"{type(exc).__name__}: {exc}")
        return _HOLDS

    def per_1(self, period: dict[str, Any]) -> InvariantResult:
        """R4's per-1 on a Period as HL7's validator decides it: when both start and end have
        a value, start must come before end or at the same time, in an order FHIRPath can
        tell (two dates of different precision, equal as far as both go, do not meet it)."""
        start, end = period.get("start"), period.get("end")
        if start is None or end is None:
            return _HOLDS  # hasValue(): nothing to compare (a `_start` with extensions only)
        if not isinstance(start, str) or not isinstance(end, str):
            return None, "start or end is not a string"
        try:
            order = date_order(start, end)
        except Unsupported as exc:
            return None, str(exc)
        if order is None or order > 0:
            return False, None
        return _HOLDS

    def _values(self, expression: str, value: Any, type_name: str, root: dict[str, Any]) -> list[Any]:
        fn = self._compile(expression)
        if isinstance(fn, Exception):
            raise fn
        with contextlib.redirect_stdout(io.StringIO()):
            return list(fn(ResourceNode.create_node(value, type_name), {"resource": root, "rootResource": root}))


# fhirpathpy's messages and results show its nodes as `<... object at 0x7f...>`: an address
# that differs between identical runs, so two reports of one resource would differ.
_OBJECT_AT = re.compile(r"<([\w.]+) object at 0x[0-9a-fA-F]+>")
_REPEATED_NODE = re.compile(r"(<[\w.]+>)(?:, \1)+")
_MAX_REASON = 200


def _stable(text: str, limit: int = _MAX_REASON) -> str:
    """`text` without memory addresses, repeated node lists shortened, at most `limit` characters."""
    text = _OBJECT_AT.sub(r"<\1>", text)
    text = _REPEATED_NODE.sub(lambda m: f"{m.group(1)} x{m.group(0).count(m.group(1))}", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _verdict(result: list[Any]) -> InvariantResult:
    # FHIRPath: an empty result does not violate the constraint (like `implies` on
    # nothing); only an explicit false does.
    if result == [] or result == [True]:
        return True, None
    if result == [False]:
        return False, None
    return None, f"non-boolean result {_stable(repr(result), 80)}"
