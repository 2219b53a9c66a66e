"""National identifiers of professionals and structures, with their check digits.

- idNatPS (OID 1.2.250.1.71.4.2.1): ``8`` + RPPS (11 digits), ``0`` + ADELI (9 digits).
- idNatSt (OID 1.2.250.1.71.4.2.2): ``1`` + FINESS (9 characters), ``3`` + SIRET
  (14 digits), ``2`` + SIREN (9 digits).
- FINESS, SIREN, SIRET and RPPS end with a Luhn check digit.

Published example data often fails its checksum: with ``test_data=True`` a checksum
failure is reported as a warning, never silently dropped; shape errors stay errors.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "IDNATPS_OID",
    "IDNATST_OID",
    "SYSTEM_FINESS",
    "SYSTEM_RPPS",
    "SYSTEM_SIRENE",
    "IdCheck",
    "check_adeli",
    "check_finess",
    "check_idnatps",
    "check_idnatst",
    "check_rpps",
    "check_siren",
    "check_siret",
    "luhn_check_digit",
    "luhn_valid",
]

IDNATPS_OID = "1.2.250.1.71.4.2.1"
IDNATST_OID = "1.2.250.1.71.4.2.2"
SYSTEM_RPPS = "https://rpps.esante.gouv.fr"
SYSTEM_FINESS = "https://finess.esante.gouv.fr"
SYSTEM_SIRENE = "https://sirene.fr"

# La Poste's establishments outnumber what a Luhn-checked SIRET can encode: INSEE uses
# "sum of digits divisible by 5" for that single SIREN.
_LA_POSTE_SIREN = "356000000"


def ascii_digits(text: str) -> bool:
    """Digits 0-9 only: `str.isdigit` also takes other scripts' digits (`１２３`), which no register issues."""
    return text.isascii() and text.isdigit()


@dataclass(frozen=True)
class IdCheck:
    """Outcome of an identifier check: kind, normalised value, errors and warnings."""

    kind: str
    value: str
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        """True when no error was found (warnings allowed)."""
        return not self.errors


def luhn_valid(digits: str) -> bool:
    """True when the digit string passes the Luhn (mod 10) check."""
    if not ascii_digits(digits):
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def luhn_check_digit(body: str) -> str:
    """Return the Luhn digit that completes ``body``."""
    for d in "0123456789":
        if luhn_valid(body + d):
            return d
    raise ValueError(f"{body!r} is not a digit string")  # unreachable for digit strings


def _checksum(kind: str, value: str, ok: bool, test_data: bool, errors: list[str]) -> IdCheck:
    warnings: list[str] = []
    if not ok:
        msg = f"{kind} {value}: check digit is wrong"
        (warnings if test_data else errors).append(msg + (" (test data)" if test_data else ""))
    return IdCheck(kind, value, tuple(errors), tuple(warnings))


def _shape(kind: str, value: object, length: int) -> tuple[str, list[str]]:
    v = value.strip() if isinstance(value, str) else ""
    errors: list[str] = []
    if not isinstance(value, str):
        errors.append(f"{kind} must be a string, got {type(value).__name__}")
    elif len(v) != length or not ascii_digits(v):
        errors.append(f"{kind} {v!r} must be {length} digits")
    return v, errors


def check_rpps(value: str, *, test_data: bool = False) -> IdCheck:
    """Check an RPPS number: 11 digits, the last a Luhn check digit."""
    v, errors = _shape("RPPS", value, 11)
    if errors:
        return IdCheck("RPPS", v, tuple(errors))
    return _checksum("RPPS", v, luhn_valid(v), test_data, errors)


def check_adeli(value: str, *, test_data: bool = False) -> IdCheck:
    """Check an ADELI number: 9 digits (department, profession, order, key).

    The ADELI key algorithm is not published with FR Core: only the shape is checked,
    and a number that fails Luhn gets a warning so a reviewer can look.
    """
    v, errors = _shape("ADELI", value, 9)
    if errors:
        return IdCheck("ADELI", v, tuple(errors))
    warnings = () if luhn_valid(v) else (f"ADELI {v}: key not verified (no Luhn match)",)
    return IdCheck("ADELI", v, (), warnings)


def check_finess(value: str, *, test_data: bool = False) -> IdCheck:
    """Check a FINESS number: 9 characters (department first, 2A/2B allowed), Luhn key."""
    v = value.strip().upper() if isinstance(value, str) else ""
    if len(v) != 9 or not ascii_digits(v[2:]) or not (ascii_digits(v[:2]) or v[:2] in ("2A", "2B")):
        return IdCheck(
            "FINESS", v, (f"FINESS {v!r} must be 9 characters: department (2 digits, 2A or 2B) then 7 digits",)
        )
    if not ascii_digits(v):
        # How Corsican FINESS keys are computed is not settled: say so, do not guess.
        return IdCheck("FINESS", v, (), (f"FINESS {v}: Corsican key not verified",))
    return _checksum("FINESS", v, luhn_valid(v), test_data, [])


def check_siren(value: str, *, test_data: bool = False) -> IdCheck:
    """Check a SIREN number: 9 digits, Luhn key."""
    v, errors = _shape("SIREN", value, 9)
    if errors:
        return IdCheck("SIREN", v, tuple(errors))
    return _checksum("SIREN", v, luhn_valid(v), test_data, errors)


def check_siret(value: str, *, test_data: bool = False) -> IdCheck:
    """Check a SIRET number: 14 digits (SIREN + establishment), Luhn key (La Poste rule)."""
    v, errors = _shape("SIRET", value, 14)
    if errors:
        return IdCheck("SIRET", v, tuple(errors))
    ok = sum(int(c) for c in v) % 5 == 0 if v.startswith(_LA_POSTE_SIREN) else luhn_valid(v) and luhn_valid(v[:9])
    return _checksum("SIRET", v, ok, test_data, errors)


def check_idnatps(value: str, *, test_data: bool = False) -> IdCheck:
    """Check an idNatPS: ``8`` + RPPS or ``0`` + ADELI."""
    v = value.strip() if isinstance(value, str) else ""
    if v[:1] == "8":
        inner = check_rpps(v[1:], test_data=test_data)
    elif v[:1] == "0":
        inner = check_adeli(v[1:], test_data=test_data)
    else:
        return IdCheck("idNatPS", v, (f"idNatPS {v!r} must start with 8 (RPPS) or 0 (ADELI)",))
    return IdCheck(f"idNatPS/{inner.kind}", v, inner.errors, inner.warnings)


def check_idnatst(value: str, *, test_data: bool = False) -> IdCheck:
    """Check an idNatSt: ``1`` + FINESS, ``2`` + SIREN or ``3`` + SIRET."""
    v = value.strip() if isinstance(value, str) else ""
    checkers = {"1": check_finess, "2": check_siren, "3": check_siret}
    checker = checkers.get(v[:1])
    if checker is None:
        return IdCheck("idNatSt", v, (f"idNatSt {v!r} must start with 1 (FINESS), 2 (SIREN) or 3 (SIRET)",))
    inner = checker(v[1:], test_data=test_data)
    return IdCheck(f"idNatSt/{inner.kind}", v, inner.errors, inner.warnings)
