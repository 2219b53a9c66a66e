"""Comparisons of JSON values for fixed[x] (exact) and pattern[x] (contains) constraints."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["contains", "equals"]


def _num(x: Any) -> Decimal | None:
    if isinstance(x, bool) or not isinstance(x, int | float | Decimal):
        return None
    try:
        return Decimal(str(x))
    except InvalidOperation:
        return None


def _prim_eq(a: Any, b: Any) -> bool:
    ta = type(a)
    if ta is str or ta is bool:  # the common cases, decided without the numeric path
        return type(b) is ta and a == b
    na, nb = _num(a), _num(b)
    if na is not None and nb is not None:
        return na == nb  # 1.0 and 1 are the same FHIR decimal value for matching purposes
    return type(a) is type(b) and a == b


def equals(value: Any, fixed: Any) -> bool:
    """True when `value` is exactly `fixed` (fixed[x] semantics: no extra elements)."""
    if isinstance(fixed, dict):
        return (
            isinstance(value, dict) and value.keys() == fixed.keys() and all(equals(value[k], fixed[k]) for k in fixed)
        )
    if isinstance(fixed, list):
        return (
            isinstance(value, list)
            and len(value) == len(fixed)
            and all(equals(v, f) for v, f in zip(value, fixed, strict=True))
        )
    return _prim_eq(value, fixed)


def contains(value: Any, pattern: Any) -> bool:
    """True when `value` carries everything `pattern` states (pattern[x] semantics)."""
    if type(pattern) is str:
        if type(value) is str:
            return value == pattern
        if type(value) is list:
            return any(type(v) is str and v == pattern for v in value)
        return False
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(k in value and contains(value[k], p) for k, p in pattern.items())
    if isinstance(pattern, list):
        items = value if isinstance(value, list) else [value]
        return all(any(contains(v, p) for v in items) for p in pattern)
    if isinstance(value, list):
        return any(_prim_eq(v, pattern) for v in value)
    return _prim_eq(value, pattern)
