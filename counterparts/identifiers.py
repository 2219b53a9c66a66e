"""French health identifiers as the simulated national services judge them.

The simulators are the outside world: they check what a system sends with their own
rules, not with the harness's identity suite (which the checks use). Kept to what the
INSi and DMP simulators need: the INS OIDs, the NIR/NIA control key, and the national
identifiers of professionals (idNatPS) and structures (idNatSt).
"""

from __future__ import annotations

__all__ = [
    "INS_NIA_OID",
    "INS_NIR_DEMO_OID",
    "INS_NIR_OID",
    "INS_NIR_TEST_OID",
    "idnatps_problems",
    "idnatst_problems",
    "luhn_valid",
    "nir_problems",
    "nir_with_key",
]

INS_NIR_OID = "1.2.250.1.213.1.4.8"
INS_NIA_OID = "1.2.250.1.213.1.4.9"
INS_NIR_TEST_OID = "1.2.250.1.213.1.4.10"
INS_NIR_DEMO_OID = "1.2.250.1.213.1.4.11"

# Corsican departments hold letters; the key is computed with these numbers instead.
_CORSICAN_DEPARTMENTS = {"2A": "19", "2B": "18"}
# 1, 2: NIR (man, woman); 3, 4, 7, 8: NIA and temporary numbers.
_NIR_FIRST_DIGITS = "123478"
# La Poste's establishments: SIRET whose digit sum is a multiple of 5 (no Luhn key).
_LA_POSTE = "356000000"


def _key_of(body: str) -> str:
    number = body[:5] + _CORSICAN_DEPARTMENTS.get(body[5:7].upper(), body[5:7]) + body[7:]
    if not number.isdigit():
        raise ValueError(f"NIR body {body!r} holds letters outside a Corsican department")
    return f"{97 - int(number) % 97:02d}"


def nir_with_key(body: str) -> str:
    """A 13-character NIR body followed by its 2-digit control key."""
    if len(body) != 13:
        raise ValueError(f"a NIR body has 13 characters, not {len(body)}")
    return body.upper() + _key_of(body)


def nir_problems(value: object) -> list[str]:
    """What is wrong with an INS (NIR or NIA): shape, first digit, month, order, key."""
    if not isinstance(value, str) or len(value.strip()) != 15:
        return [f"{value!r} is not 15 characters (13 + a 2-digit key)"]
    nir = value.strip().upper()
    body, key = nir[:13], nir[13:]
    if not (key.isdigit() and body[:5].isdigit() and body[7:].isdigit()):
        return [f"{nir!r} holds characters other than digits (outside 2A/2B)"]
    if not (body[5:7].isdigit() or body[5:7] in _CORSICAN_DEPARTMENTS):
        return [f"department {body[5:7]!r} is neither 2 digits nor 2A/2B"]
    problems = []
    if body[0] not in _NIR_FIRST_DIGITS:
        problems.append(f"first digit {body[0]} is not one of {', '.join(_NIR_FIRST_DIGITS)}")
    if int(body[3:5]) == 0 or 13 <= int(body[3:5]) <= 19:
        problems.append(f"birth month {body[3:5]} does not exist")
    if body[10:13] == "000":
        problems.append("order number 000 is never assigned")
    if key != _key_of(body):
        problems.append(f"key {key} is wrong: {body} gives {_key_of(body)}")
    return problems


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check of a digit string."""
    if not digits.isdigit():
        return False
    doubled = (int(d) * (2 if i % 2 else 1) for i, d in enumerate(reversed(digits)))
    return sum(n - 9 if n > 9 else n for n in doubled) % 10 == 0


def _digits(kind: str, value: str, length: int, *, luhn: bool = True) -> list[str]:
    if len(value) != length or not value.isdigit():
        return [f"{kind} {value!r} is not {length} digits"]
    return [] if not luhn or luhn_valid(value) else [f"{kind} {value}: its check digit is wrong"]


def idnatps_problems(value: object) -> list[str]:
    """What is wrong with an idNatPS: ``8`` + RPPS (11 digits, Luhn) or ``0`` + ADELI (9 digits)."""
    v = value.strip() if isinstance(value, str) else ""
    if v[:1] == "8":
        return _digits("RPPS", v[1:], 11)
    if v[:1] == "0":
        return _digits("ADELI", v[1:], 9, luhn=False)  # its key rule is not public
    return [f"idNatPS {v!r} starts with neither 8 (RPPS) nor 0 (ADELI)"]


def idnatst_problems(value: object) -> list[str]:
    """What is wrong with an idNatSt: ``1`` + FINESS, ``2`` + SIREN or ``3`` + SIRET."""
    v = value.strip().upper() if isinstance(value, str) else ""
    kind, number = v[:1], v[1:]
    if kind == "1":
        if len(number) == 9 and number[:2] in _CORSICAN_DEPARTMENTS and number[2:].isdigit():
            return []  # how a Corsican FINESS key is computed is not settled
        return _digits("FINESS", number, 9)
    if kind == "2":
        return _digits("SIREN", number, 9)
    if kind == "3":
        if number.startswith(_LA_POSTE) and len(number) == 14 and number.isdigit():
            return [] if sum(map(int, number)) % 5 == 0 else [f"SIRET {number}: its check digit is wrong"]
        return _digits("SIRET", number, 14) or _digits("SIREN", number[:9], 9)
    return [f"idNatSt {v!r} starts with none of 1 (FINESS), 2 (SIREN), 3 (SIRET)"]
