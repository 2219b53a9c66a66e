"""A small FHIRPath compiler for the invariants met on every resource.

fhirpathpy evaluates any R4 expression but costs tens to hundreds of microseconds per
evaluation; most invariants of the core and FR Core definitions use a small part of
the language (paths, exists/empty/not/count/where/all, boolean logic, equality and
ordering of strings, numbers and dates, unions, `in`). This module compiles that part to
Python closures over the JSON values. Anything outside it raises `Unsupported`, at
compile time or at run time (dates of different precision compared for equality, say),
and the caller falls back to fhirpathpy, so the answer does not depend on which path ran
(dates aside, below): a test compares both on every invariant met in the FR Core examples
and HL7's test cases.

Dates and date-times are ordered here as FHIRPath orders them (`date_order`: precision by
precision, in UTC when both carry a zone, an unknown order when the precisions differ),
not as fhirpathpy does: it orders "10:00:00+02:00" after "08:30:00Z", and "06:20:00Z"
after "06:20:00.000Z".

Collections are Python lists; the empty list is FHIRPath's empty (unknown) value.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

__all__ = ["Unsupported", "compile_fast", "date_order", "holds_without", "lacks_keys"]

Env = dict[str, Any]
Fn = Callable[[list[Any], Env], list[Any]]


class Unsupported(Exception):
    """The expression, or this evaluation of it, is outside the compiled subset."""


_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*')|(?P<num>\d+(?:\.\d+)?)|(?P<ext>%[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<id>`[^`]+`|\$this|[A-Za-z_][A-Za-z0-9_]*)|(?P<op><=|>=|!=|!~|[=<>|.(),+~&-]))"
)
_BINARY = {
    "implies": 1,
    "or": 2,
    "xor": 2,
    "and": 3,
    "in": 4,
    "contains": 4,
    "=": 5,
    "!=": 5,
    "<": 6,
    ">": 6,
    "<=": 6,
    ">=": 6,
    "|": 7,
    "+": 8,
    "&": 8,
}
_DATEISH = re.compile(r"^\d{4}(-\d{2}(-\d{2}(T.*)?)?)?$")


_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "`": "`", "/": "/", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _unescape(body: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt == "u" and i + 5 < len(body) + 0:
                out.append(chr(int(body[i + 2 : i + 6], 16)))
                i += 6
                continue
            if nxt not in _ESCAPES:
                raise Unsupported(f"escape \\{nxt}")
            out.append(_ESCAPES[nxt])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise Unsupported(f"cannot read {text[pos : pos + 20]!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def _children(items: list[Any], name: str) -> list[Any]:
    out: list[Any] = []
    for it in items:
        if not isinstance(it, dict):
            continue
        if name in it:
            v = it[name]
        else:
            v = None
            for k in it:  # a choice element (`value` → `valueQuantity`)
                if k.startswith(name) and k[len(name) : len(name) + 1].isupper():
                    v = it[k]
                    break
            if v is None:
                if "_" + name in it:
                    raise Unsupported("primitive with extensions only")
                continue
        if isinstance(v, list):
            out.extend(x for x in v if x is not None)
        else:
            out.append(v)
    return out


def _truth(items: list[Any]) -> bool | None:
    if not items:
        return None
    if len(items) == 1:
        v = items[0]
        if isinstance(v, bool):
            return v
        return True  # a single non-boolean item counts as true
    raise Unsupported("boolean of a collection")


def _eq(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        if a != b and _DATEISH.match(a) and _DATEISH.match(b):
            # the same instant may be written in two zones, or with a fraction of zeros
            order = date_order(a, b)
            if order is None:
                raise Unsupported("dates of different precision")
            return order == 0
        return a == b
    if isinstance(a, dict) or isinstance(b, dict):
        raise Unsupported("equality of complex values")
    return False


def _order(a: Any, b: Any) -> int | None:
    """-1, 0 or 1; None when FHIRPath leaves the order unknown (dates of different precision)."""
    if isinstance(a, bool) or isinstance(b, bool):
        raise Unsupported("ordering booleans")
    if isinstance(a, int | float) and isinstance(b, int | float):
        return (a > b) - (a < b)
    if isinstance(a, str) and isinstance(b, str):
        if _DATEISH.match(a) or _DATEISH.match(b):
            return date_order(a, b)
        return (a > b) - (a < b)
    raise Unsupported("ordering these values")


# A FHIR date, dateTime or instant as JSON writes it (FHIR gives a time its seconds and a
# zone; FHIRPath's partial times, hour or minute, are read too).
_DATE_PARTS = re.compile(
    r"(\d{4})(?:-(\d\d)(?:-(\d\d)(?:T(\d\d)(?::(\d\d)(?::(\d\d(?:\.\d+)?))?)?(Z|[+-]\d\d:\d\d)?)?)?)?"
)
_Parts = tuple[int | None, int | None, int | None, int | None, int | None, Decimal | None]


def _date_parts(text: str) -> tuple[_Parts, str | None]:
    """(year, month, day, hour, minute, second: None past the value's precision), zone."""
    m = _DATE_PARTS.fullmatch(text)
    if m is None:
        raise Unsupported(f"{text[:40]!r} is not a date")
    y, mo, d, h, mi, s, zone = m.groups()
    parts = (int(y), _int(mo), _int(d), _int(h), _int(mi), Decimal(s) if s is not None else None)
    try:
        dt.date(parts[0], parts[1] or 1, parts[2] or 1)
    except ValueError:
        raise Unsupported(f"{text[:40]!r} is not a date") from None
    if (parts[3] or 0) > 23 or (parts[4] or 0) > 59 or (parts[5] or 0) >= 61:  # (60: a leap second)
        raise Unsupported(f"{text[:40]!r} is not a time of day")
    return parts, zone


def _int(text: str | None) -> int | None:
    return int(text) if text is not None else None


def _in_utc(parts: _Parts, zone: str) -> _Parts:
    """A time of day with its zone, moved to UTC (seconds unchanged: zones are whole minutes)."""
    if zone == "Z":
        return parts
    y, mo, d, h, mi, s = parts
    offset = int(zone[1:3]) * 60 + int(zone[4:6])
    if mi is None and offset % 60:
        raise Unsupported("an hour with a zone of part of an hour")
    try:
        when = dt.datetime(y or 1, mo or 1, d or 1, h or 0, mi or 0)
        when -= dt.timedelta(minutes=offset if zone[0] == "+" else -offset)
    except (ValueError, OverflowError) as exc:
        raise Unsupported(f"not a date-time: {exc}") from None
    return (when.year, when.month, when.day, when.hour, when.minute if mi is not None else None, s)


def date_order(a: str, b: str) -> int | None:
    """-1, 0 or 1 as FHIRPath orders two dates or date-times; None when it cannot tell (its
    comparison then gives an empty result).

    Compared precision by precision from the year: the first difference decides; a
    precision one value has and the other lacks, all before it equal, leaves the order
    unknown ("2023-06-21" and "2023-06-21T06:20:00Z"); the seconds and their fraction are
    one precision, compared as a number ("06:20:00Z" equals "06:20:00.000Z"). Two values
    that both give a time of day with its zone are compared in UTC. Raises `Unsupported`
    for text that is not a date, or a time of day with a zone beside one without.
    """
    (pa, za), (pb, zb) = _date_parts(a), _date_parts(b)
    timed_a, timed_b = pa[3] is not None, pb[3] is not None
    if timed_a and timed_b:
        if (za is None) != (zb is None):
            raise Unsupported("ordering a time of day with a zone and one without")
        if za is not None and zb is not None:
            pa, pb = _in_utc(pa, za), _in_utc(pb, zb)
    for x, y in zip(pa, pb, strict=True):
        if x is None or y is None:
            return 0 if x is None and y is None else None
        if x != y:
            return -1 if x < y else 1
    return 0


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0
        # What the expression reads of its context: the element names met where the
        # focus is the context itself (depth 0, outside where/exists/all criteria).
        # `whole_context` when it reads the context as a whole ($this, a function of it,
        # a type name), which no list of names describes.
        self.depth = 0
        self.context_names: set[str] = set()
        self.whole_context = False

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise Unsupported(f"expected {value}")
        self.i += 1
        return tok

    def expr(self, min_prec: int = 1) -> Fn:
        """Precedence climbing over the binary operators."""
        left = self.unary()
        while True:
            tok = self.peek()
            if tok is None or tok[0] not in ("op", "id") or tok[1] not in _BINARY:
                return left
            prec = _BINARY[tok[1]]
            if prec < min_prec:
                return left
            self.i += 1
            left = _binary(tok[1], left, self.expr(prec + 1))

    def unary(self) -> Fn:
        tok = self.peek()
        if tok is not None and tok[1] == "-":
            raise Unsupported("unary minus")
        operand = self.postfix(self.primary())
        tok = self.peek()
        if tok is not None and tok[0] == "id" and tok[1] in ("is", "as"):
            self.i += 1
            kind, type_name = self.take()
            if kind != "id":
                raise Unsupported("type test")
            return _type_test(tok[1], operand, type_name.strip("`"))
        return operand

    def primary(self) -> Fn:
        kind, text = self.take()
        if text == "(":
            inner = self.expr()
            self.take(")")
            return inner
        if kind == "str":
            s = _unescape(text[1:-1])
            return lambda items, env: [s]
        if kind == "num":
            n: int | float = float(text) if "." in text else int(text)
            return lambda items, env: [n]
        if kind == "ext":
            name = text[1:]
            if name not in ("resource", "rootResource", "ucum"):
                return _lazy(f"%{name}")
            return lambda items, env: [env[name]]
        if kind == "id":
            if text in ("true", "false"):
                b = text == "true"
                return lambda items, env: [b]
            if text == "$this":
                self.whole_context |= self.depth == 0
                return lambda items, env: items
            nxt = self.peek()
            if nxt is not None and nxt[1] == "(":
                self.whole_context |= self.depth == 0
                return self.function(text, lambda items, env: items)
            name = text.strip("`")
            if self.depth == 0:
                self.context_names.add(name)
            if name[:1].isupper():
                # A type name heading a path (`Appointment.status`) selects the context itself.
                def typed(items: list[Any], env: Env, name: str = name) -> list[Any]:
                    if env.get("type") == name:
                        return items
                    raise Unsupported(f"type name {name}")

                return typed
            return lambda items, env: _children(items, name)
        raise Unsupported(f"token {text}")

    def postfix(self, base: Fn) -> Fn:
        while True:
            tok = self.peek()
            if tok is None or tok[1] != ".":
                return base
            self.i += 1
            kind, text = self.take()
            if kind != "id":
                raise Unsupported("path")
            nxt = self.peek()
            if nxt is not None and nxt[1] == "(":
                base = self.function(text, base)
            else:
                name = text.strip("`")

                def member(items: list[Any], env: Env, base: Fn = base, name: str = name) -> list[Any]:
                    return _children(base(items, env), name)

                base = member

    def args(self) -> list[Fn]:
        self.take("(")
        out: list[Fn] = []
        if self.peek() is not None and self.peek()[1] == ")":  # type: ignore[index]
            self.i += 1
            return out
        while True:
            out.append(self.expr())
            _, text = self.take()
            if text == ")":
                return out
            if text != ",":
                raise Unsupported("arguments")

    def function(self, name: str, base: Fn) -> Fn:
        # Criteria are evaluated on each item of their base, not on the context.
        criteria = name in _CRITERIA
        self.depth += criteria
        try:
            args = self.args()
        finally:
            self.depth -= criteria
        return _function(name, base, args)


_CRITERIA = frozenset({"where", "exists", "all"})


def _function(name: str, base: Fn, args: list[Fn]) -> Fn:
    n = len(args)
    if name == "exists" and n <= 1:
        if n == 0:
            return lambda items, env: [bool(base(items, env))]
        crit = args[0]
        return lambda items, env: [any(_truth(crit([x], env)) for x in base(items, env))]
    if name == "empty" and n == 0:
        return lambda items, env: [not base(items, env)]
    if name == "hasValue" and n == 0:

        def has_value(items: list[Any], env: Env) -> list[Any]:
            got = base(items, env)
            if len(got) != 1:
                return [False]
            return [not isinstance(got[0], dict | list)]

        return has_value
    if name == "not" and n == 0:

        def neg(items: list[Any], env: Env) -> list[Any]:
            t = _truth(base(items, env))
            return [] if t is None else [not t]

        return neg
    if name == "count" and n == 0:
        return lambda items, env: [len(base(items, env))]
    if name == "where" and n == 1:
        crit = args[0]
        return lambda items, env: [x for x in base(items, env) if _truth(crit([x], env)) is True]
    if name == "all" and n == 1:
        crit = args[0]
        return lambda items, env: [all(_truth(crit([x], env)) is True for x in base(items, env))]
    if name in ("startsWith", "matches") and n == 1:
        arg = args[0]

        def string_test(items: list[Any], env: Env) -> list[Any]:
            got, a = base(items, env), arg(items, env)
            if not got or not a:
                return []
            if len(got) > 1 or not isinstance(got[0], str) or not isinstance(a[0], str):
                raise Unsupported("string function on a non-string")
            if name == "startsWith":
                return [got[0].startswith(a[0])]
            return [re.search(a[0], got[0]) is not None]

        return string_test
    if name == "trace":
        return base
    if name == "extension" and n == 1:
        url_fn = args[0]

        def extension(items: list[Any], env: Env) -> list[Any]:
            urls = url_fn(items, env)
            if len(urls) != 1:
                raise Unsupported("extension() without one url")
            return [
                e for e in _children(base(items, env), "extension") if isinstance(e, dict) and e.get("url") == urls[0]
            ]

        return extension
    if name == "toString" and n == 0:

        def to_string(items: list[Any], env: Env) -> list[Any]:
            got = base(items, env)
            if len(got) > 1:
                raise Unsupported("toString of a collection")
            if not got:
                return []
            v = got[0]
            if isinstance(v, bool):
                return ["true" if v else "false"]
            if isinstance(v, str | int):
                return [str(v)]
            raise Unsupported("toString of this value")

        return to_string
    if name == "length" and n == 0:

        def length(items: list[Any], env: Env) -> list[Any]:
            got = base(items, env)
            if len(got) > 1 or (got and not isinstance(got[0], str)):
                raise Unsupported("length of a non-string")
            return [len(got[0])] if got else []

        return length
    return _lazy(f"function {name}")


def _type_test(op: str, operand: Fn, type_name: str) -> Fn:
    """`$this is T` / `$this as T` on the value the invariant is about (whose type is known)."""

    def test(items: list[Any], env: Env) -> list[Any]:
        got = operand(items, env)
        if got is not env["root"]:
            raise Unsupported("type test on something else than the context")
        if not got:
            return []
        same = env["type"] == type_name
        if op == "is":
            return [same]
        return got if same else []

    return test


def _lazy(what: str) -> Fn:
    """A part outside the subset: only a problem if an evaluation reaches it."""

    def unsupported(items: list[Any], env: Env) -> list[Any]:
        raise Unsupported(what)

    return unsupported


def _singletons(a: list[Any], b: list[Any], op: str) -> tuple[Any, Any] | None:
    """The two single operands of an arithmetic or ordering operator (None when one is empty)."""
    if not a or not b:
        return None
    if len(a) > 1 or len(b) > 1:
        raise Unsupported(f"{op} on collections")
    return a[0], b[0]


def _binary(op: str, left: Fn, right: Fn) -> Fn:
    # (One closure per operator: these run for most invariants of every resource.)
    if op == "and":

        def logic_and(items: list[Any], env: Env) -> list[Any]:
            a = _truth(left(items, env))
            if a is False:
                return [False]
            b = _truth(right(items, env))
            return [False] if b is False else ([True] if a and b else [])

        return logic_and
    if op in ("or", "implies"):
        # Both are true when the right side is; `or` is settled by a true left side,
        # `implies` by a false one, and false only when the other left value meets a false right.
        settles = op == "or"
        other = not settles

        def logic_or_implies(items: list[Any], env: Env) -> list[Any]:
            a = _truth(left(items, env))
            if a is settles:
                return [True]
            b = _truth(right(items, env))
            return [True] if b is True else ([False] if a is other and b is False else [])

        return logic_or_implies
    if op == "xor":

        def logic_xor(items: list[Any], env: Env) -> list[Any]:
            a = _truth(left(items, env))
            b = _truth(right(items, env))
            return [] if a is None or b is None else [a != b]

        return logic_xor
    if op == "|":

        def union(items: list[Any], env: Env) -> list[Any]:
            out: list[Any] = []
            for v in left(items, env) + right(items, env):
                if isinstance(v, dict | list):
                    raise Unsupported("union of complex values")
                if not any(_eq(v, o) for o in out):
                    out.append(v)
            return out

        return union
    if op == "+":

        def plus(items: list[Any], env: Env) -> list[Any]:
            pair = _singletons(left(items, env), right(items, env), "+")
            if pair is None:
                return []
            x, y = pair
            if isinstance(x, bool) or isinstance(y, bool):
                raise Unsupported("+ on booleans")
            if isinstance(x, int | float) and isinstance(y, int | float):
                return [x + y]
            if isinstance(x, str) and isinstance(y, str):
                return [x + y]
            raise Unsupported("+ on these values")

        return plus
    if op in ("=", "!="):

        def equal(items: list[Any], env: Env) -> list[Any]:
            a, b = left(items, env), right(items, env)
            if not a or not b:
                return []
            same = len(a) == len(b) and all(_eq(x, y) for x, y in zip(a, b, strict=True))
            return [same if op == "=" else not same]

        return equal
    if op in ("<", ">", "<=", ">="):

        def compare(items: list[Any], env: Env) -> list[Any]:
            pair = _singletons(left(items, env), right(items, env), op)
            if pair is None:
                return []
            c = _order(*pair)
            if c is None:
                return []  # (dates whose order FHIRPath leaves unknown)
            return [{"<": c < 0, ">": c > 0, "<=": c <= 0, ">=": c >= 0}[op]]

        return compare
    if op == "in":

        def member_of(items: list[Any], env: Env) -> list[Any]:
            a, b = left(items, env), right(items, env)
            if not a:
                return []
            if len(a) > 1:
                raise Unsupported("in with a collection")
            return [any(_eq(a[0], x) for x in b)]

        return member_of
    return _lazy(f"operator {op}")


class _NoEnv(dict[str, Any]):
    """An environment that refuses every read: evaluating with it proves none is made."""

    def __getitem__(self, key: str) -> Any:
        raise Unsupported(f"reads %{key}")

    def get(self, key: str, default: Any = None) -> Any:
        raise Unsupported(f"reads %{key}")


def _on_empty_context(parser: _Parser, fn: Fn) -> tuple[tuple[str, ...], list[Any]] | None:
    """(prefixes, result) when the result is known for any object without those keys.

    An expression that reads its context only through the element names it states
    (`contained.meta.security.empty()`) gives, on an object holding none of them, the
    result it gives on `{}`, provided that evaluation reads nothing else (no %resource,
    no type): the invariants of every DomainResource about `contained` are then decided
    without evaluating them. Keys are matched by prefix, so choice elements
    (`valueQuantity`) and primitive extensions (`_name`) count as present.
    """
    if parser.whole_context:
        return None
    try:
        result = fn([{}], _NoEnv())
    except Exception:  # any failure only means: no shortcut
        return None
    names = sorted(parser.context_names)
    return (*names, *("_" + n for n in names)), result


def lacks_keys(value: Any, prefixes: tuple[str, ...]) -> bool:
    """Whether `value` is a plain JSON object with no key starting with one of `prefixes`
    (where an expression's answer on an empty context stands: `_on_empty_context`)."""
    if type(value) is not dict:
        return False
    for key in value:  # noqa: SIM110 (a loop, not a generator: every resource comes here)
        if key.startswith(prefixes):
            return False
    return True


def compile_fast(expression: str) -> Callable[[Any, str, dict[str, Any], dict[str, Any]], list[Any]]:
    """Compile `expression`; the result takes (value, type name, %resource, %rootResource)."""
    parser = _Parser(expression)
    fn = parser.expr()
    if parser.peek() is not None:
        raise Unsupported(f"unexpected {parser.peek()}")
    ucum = "http://unitsofmeasure.org"
    shortcut = _on_empty_context(parser, fn)
    prefixes, empty_result = shortcut if shortcut is not None else ((), [])

    def run(value: Any, type_name: str, resource: dict[str, Any], root: dict[str, Any]) -> list[Any]:
        if shortcut is not None and lacks_keys(value, prefixes):
            return list(empty_result)
        items = [value]
        return fn(items, {"resource": resource, "rootResource": root, "ucum": ucum, "type": type_name, "root": items})

    return run


@functools.lru_cache(maxsize=4096)
def holds_without(expression: str) -> tuple[str, ...] | None:
    """The key prefixes without which `expression` holds (gives empty or true) on any object,
    when the compiled subset can tell (`_on_empty_context`); None otherwise.

    A validator skips the invariant on an object holding none of them: the answer is the
    one `compile_fast(expression)` gives there, without building its context.
    """
    try:
        parser = _Parser(expression)
        fn = parser.expr()
        if parser.peek() is not None:
            return None
    except Unsupported:
        return None
    shortcut = _on_empty_context(parser, fn)
    if shortcut is None:
        return None
    prefixes, result = shortcut
    return prefixes if not result or (len(result) == 1 and result[0] is True) else None
