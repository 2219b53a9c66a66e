"""NIR / INS numbers: structure, control key and the Corsica rule.

An INS-NIR (or INS-NIA) is 13 characters followed by a 2-digit control key:
sex (1), birth year (2), birth month (2), birthplace (5: department + commune,
or ``99`` + country code for a birth abroad), order number (3), key (2).
The key is ``97 - (number mod 97)``; the Corsican departments ``2A`` and ``2B``
are replaced by ``19`` and ``18`` before the computation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .idnat import ascii_digits as _ascii_digits

__all__ = [
    "NirCheck",
    "NirFields",
    "check_nir",
    "is_valid_nir",
    "nir_key",
    "parse_nir",
    "with_key",
]

# Corsica kept its numeric department code (20) in the NIR computation, split as 19/18.
_CORSICA = {"2A": "19", "2B": "18"}
# 1/2: NIR; 3/4: historical temporary registrations; 7/8: NIA (temporary number).
_SEX_DIGITS = frozenset("123478")


@dataclass(frozen=True)
class NirFields:
    """The parts of a 15-character NIR/INS."""

    sex: str
    year: str
    month: str
    department: str
    commune: str
    order: str
    key: str

    @property
    def body(self) -> str:
        """The 13 characters the key is computed from."""
        return f"{self.sex}{self.year}{self.month}{self.department}{self.commune}{self.order}"


@dataclass(frozen=True)
class NirCheck:
    """Outcome of :func:`check_nir`: ``valid`` is False when any error was found."""

    value: str
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    fields: NirFields | None = field(default=None)

    @property
    def valid(self) -> bool:
        """True when the number is well formed and its key is right."""
        return not self.errors


def _numeric_body(body: str) -> int:
    """The 13-character body as the integer the key is computed from."""
    dept = body[5:7].upper()
    if dept in _CORSICA:
        body = body[:5] + _CORSICA[dept] + body[7:]
    if not _ascii_digits(body):
        raise ValueError(f"NIR body {body!r} is not numeric (only 2A/2B may hold letters)")
    return int(body)


def nir_key(body: str) -> str:
    """Return the 2-digit control key of a 13-character NIR body (Corsica rule applied).

    >>> nir_key("2790351215189")
    '89'
    """
    if len(body) != 13:
        raise ValueError(f"a NIR body has 13 characters, got {len(body)}")
    return f"{97 - _numeric_body(body) % 97:02d}"


def with_key(body: str) -> str:
    """Return ``body`` followed by its control key (a full 15-character NIR)."""
    return body.upper() + nir_key(body)


def parse_nir(value: str) -> NirFields:
    """Split a 15-character NIR into its fields; raise ``ValueError`` on a bad shape."""
    if not isinstance(value, str):
        raise ValueError(f"a NIR is a string, got {type(value).__name__}")
    v = value.strip().upper()
    if len(v) != 15:
        raise ValueError(f"a NIR has 15 characters (13 + 2-digit key), got {len(v)}")
    fields = NirFields(
        sex=v[0],
        year=v[1:3],
        month=v[3:5],
        department=v[5:7],
        commune=v[7:10],
        order=v[10:13],
        key=v[13:15],
    )
    if not _ascii_digits(fields.sex + fields.year + fields.month + fields.commune + fields.order + fields.key):
        raise ValueError("a NIR holds digits only, except 2A/2B for a Corsican department")
    if not (_ascii_digits(fields.department) or fields.department in _CORSICA):
        raise ValueError(f"department {fields.department!r} is neither 2 digits nor 2A/2B")
    return fields


def check_nir(value: str) -> NirCheck:
    """Check the shape and the control key of a NIR/INS, naming every problem found."""
    try:
        f = parse_nir(value)
    except ValueError as exc:
        return NirCheck(value=str(value), errors=(str(exc),))
    errors: list[str] = []
    warnings: list[str] = []
    if f.sex not in _SEX_DIGITS:
        errors.append(f"sex digit {f.sex!r} is not one of 1, 2 (NIR), 3, 4, 7, 8 (NIA)")
    month = int(f.month)
    # 20-42 and 50-99 are used when the birth month is unknown; 13-19 never exist.
    if month == 0 or 13 <= month <= 19:
        errors.append(f"birth month {f.month!r} does not exist")
    elif month > 12:
        warnings.append(f"birth month {f.month!r} is a placeholder for an unknown month")
    if f.order == "000":
        errors.append("order number 000 is never assigned")
    key = int(f.key)
    if not 1 <= key <= 97:
        errors.append(f"key {f.key} is outside 01..97")
    expected = nir_key(f.body)
    if f.key != expected:
        errors.append(f"key {f.key} is wrong: {f.body} gives {expected}")
    return NirCheck(value=str(value), errors=tuple(errors), warnings=tuple(warnings), fields=f)


def is_valid_nir(value: str) -> bool:
    """True when ``value`` is a well-formed NIR/INS with the right key."""
    return check_nir(value).valid
