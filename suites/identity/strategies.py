"""Hypothesis strategies for INS and national identifiers, valid and invalid.

Exported for vendors' own property tests::

    from hypothesis import given
    from homolog.suites.identity.strategies import nirs, invalid_nirs

    @given(nirs())
    def test_my_parser_accepts(nir): ...

Every "valid" strategy yields values the checkers of this package accept; every
"invalid" strategy yields values they refuse (the property tests prove both).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from .idnat import luhn_check_digit, luhn_valid
from .nir import is_valid_nir, nir_key, with_key

__all__ = [
    "adelis",
    "finess_numbers",
    "idnatps",
    "idnatst",
    "invalid_luhn",
    "invalid_nirs",
    "malformed_identities",
    "nir_bodies",
    "nirs",
    "rpps_numbers",
    "sirens",
    "sirets",
]

_digits = st.characters(min_codepoint=ord("0"), max_codepoint=ord("9"))


def _digit_string(n: int) -> st.SearchStrategy[str]:
    return st.text(_digits, min_size=n, max_size=n)


# The strategies a draw uses, made once: hypothesis validates a strategy on its first draw,
# and one made inside a composite is a new one at every draw (identities are drawn by the
# hundred in each robustness check).
_SEXES = st.sampled_from("12")
_TWO_DIGITS = _digit_string(2)
_THREE_DIGITS = _digit_string(3)
_MONTHS = st.integers(1, 12)
_ORDERS = st.integers(1, 999)
_CORSICA = st.sampled_from(["2A", "2B"])
_DEPARTMENTS = st.sampled_from([f"{d:02d}" for d in range(1, 96) if d != 20] + ["99"])


@st.composite
def nir_bodies(draw: st.DrawFn, *, corsica: bool | None = None, sex: str | None = None) -> str:
    """13-character NIR bodies; ``corsica=True`` forces 2A/2B, False forbids them."""
    s = sex or draw(_SEXES)
    year = draw(_TWO_DIGITS)
    month = f"{draw(_MONTHS):02d}"
    if corsica is None:
        corsica = draw(st.booleans()) and draw(st.booleans())
    dept = draw(_CORSICA if corsica else _DEPARTMENTS)
    commune = draw(_THREE_DIGITS)
    order = f"{draw(_ORDERS):03d}"
    return f"{s}{year}{month}{dept}{commune}{order}"


def nirs(*, corsica: bool | None = None, sex: str | None = None) -> st.SearchStrategy[str]:
    """Valid 15-character NIR/INS numbers (key computed, Corsica rule applied)."""
    return nir_bodies(corsica=corsica, sex=sex).map(with_key)


_NIR_BODIES = nir_bodies()
_INVALID_KINDS = st.sampled_from(["wrong_key", "short", "long", "letter", "corsica_numeric_key", "space", "zero_key"])
_LETTER_POSITIONS = st.sampled_from([0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 12, 13, 14])  # not the department


@st.composite
def invalid_nirs(draw: st.DrawFn) -> str:
    """NIR-like strings that must be refused: wrong key, wrong length, bad characters."""
    body = draw(_NIR_BODIES)
    good = nir_key(body)
    kind = draw(_INVALID_KINDS)
    if kind == "wrong_key":
        delta = draw(st.integers(1, 96))
        value = body + f"{(int(good) - 1 + delta) % 97 + 1:02d}"
    elif kind == "short":
        value = (body + good)[: draw(st.integers(0, 14))]
    elif kind == "long":
        value = body + good + draw(_digit_string(draw(st.integers(1, 5))))
    elif kind == "letter":
        pos = draw(_LETTER_POSITIONS)
        letter = draw(st.sampled_from("ABCXZ"))
        full = body + good
        value = full[:pos] + letter + full[pos + 1 :]
    elif kind == "corsica_numeric_key":
        # Key computed as if 2A/2B were 20: the classic implementation bug.
        b = body[:5] + draw(_CORSICA) + body[7:]
        wrong = f"{97 - int(b[:5] + '20' + b[7:]) % 97:02d}"
        value = b + wrong
    elif kind == "space":
        value = body[:7] + " " + body[7:] + good
    else:
        value = body + "00"
    if is_valid_nir(value):  # e.g. a wrong-key draw that happens to collide: make it wrong
        value = body + f"{int(good) % 97 + 1:02d}"
    return value


def _luhn_number(n: int) -> st.SearchStrategy[str]:
    return _digit_string(n - 1).map(lambda b: b + luhn_check_digit(b))


def rpps_numbers() -> st.SearchStrategy[str]:
    """Valid 11-digit RPPS numbers (Luhn key)."""
    return _luhn_number(11)


def adelis() -> st.SearchStrategy[str]:
    """Well-shaped 9-digit ADELI numbers (Luhn key, so no warning either)."""
    return _luhn_number(9)


def finess_numbers() -> st.SearchStrategy[str]:
    """Valid 9-digit FINESS numbers of a numeric department (Luhn key)."""
    return (
        st.tuples(st.sampled_from([f"{d:02d}" for d in range(1, 96) if d != 20]), _digit_string(6))
        .map(lambda t: t[0] + t[1])
        .map(lambda b: b + luhn_check_digit(b))
    )


def sirens() -> st.SearchStrategy[str]:
    """Valid 9-digit SIREN numbers (Luhn key; La Poste's SIREN excluded)."""
    return _luhn_number(9).filter(lambda s: s != "356000000")


def sirets() -> st.SearchStrategy[str]:
    """Valid 14-digit SIRET numbers: a valid SIREN + establishment + Luhn key."""
    return st.tuples(sirens(), _digit_string(4)).map(lambda t: t[0] + t[1]).map(lambda b: b + luhn_check_digit(b))


def idnatps() -> st.SearchStrategy[str]:
    """Valid idNatPS: ``8`` + RPPS or ``0`` + ADELI."""
    return st.one_of(rpps_numbers().map(lambda r: "8" + r), adelis().map(lambda a: "0" + a))


def idnatst() -> st.SearchStrategy[str]:
    """Valid idNatSt: ``1`` + FINESS, ``2`` + SIREN or ``3`` + SIRET."""
    return st.one_of(
        finess_numbers().map(lambda f: "1" + f), sirens().map(lambda s: "2" + s), sirets().map(lambda s: "3" + s)
    )


def invalid_luhn(n: int) -> st.SearchStrategy[str]:
    """``n``-digit strings whose Luhn check fails (for FINESS, SIREN, SIRET, RPPS)."""
    return (
        _digit_string(n - 1)
        .map(lambda b: b + str((int(luhn_check_digit(b)) + 1) % 10))
        .filter(lambda s: not luhn_valid(s))
    )


# Values that stress a server's parsing of identity traits.
_nasty_text = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "\u0000",
            "'; DROP TABLE patient;--",
            "<script>x</script>",
            "\ud7ff\ufffd",
            "A" * 300,
            "Ñ̃ö",
            "null",
            "0",
            "-1",
            "{}",
            "[]",
        ]
    ),
    st.text(max_size=40),
)
_nasty_date = st.one_of(
    st.sampled_from(
        [
            "",
            "1979-02-30",
            "1979-13-01",
            "0000-00-00",
            "19790328",
            "1979/03/28",
            "2999-01-01",
            "1979-03-28T25:00:00",
            "yesterday",
        ]
    ),
    st.dates().map(lambda d: d.isoformat()),
)
_nasty_any = st.one_of(
    st.none(),
    st.integers(),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


_FIELDS = ("ins", "oid", "family", "given", "birth_date", "gender", "birthplace")
_CORRUPTED = st.lists(st.sampled_from(_FIELDS), min_size=1, max_size=3, unique=True)
_NIRS = nirs()
_GENDERS = st.sampled_from(["female", "male"])
_INVALID_NIRS = invalid_nirs()
_NASTY_NAME = st.one_of(_nasty_text, _nasty_any)
#: What a corrupted field is drawn from.
_CORRUPT: dict[str, st.SearchStrategy[Any]] = {
    "ins": st.one_of(_INVALID_NIRS, _INVALID_NIRS, _nasty_text, _nasty_any),
    "oid": st.sampled_from(["1.2.250.1.213.1.4.2", "not-an-oid", ""]),
    "family": _NASTY_NAME,
    "given": _NASTY_NAME,
    "birth_date": st.one_of(_nasty_date, _nasty_any),
    "gender": st.one_of(st.sampled_from(["other", "unknown", "F", "", "x", "FEMALE"]), _nasty_any),
    "birthplace": st.one_of(st.sampled_from(["ABCDE", "", "1234", "123456", "5121 "]), _nasty_any),
}


@st.composite
def malformed_identities(draw: st.DrawFn, *, ins_oids: tuple[str, ...] = ("1.2.250.1.213.1.4.8",)) -> dict[str, Any]:
    """A valid synthetic identity with one to three fields corrupted.

    Returns ``{"ins": ..., "oid": ..., "family": ..., "given": ..., "birth_date": ...,
    "gender": ..., "birthplace": ..., "corrupted": [field names]}``. Values are left as
    drawn (possibly of the wrong JSON type) so the server's parser is exercised; keeping
    the other fields valid makes sure the corrupted one is what the server must catch.
    """
    corrupted = draw(_CORRUPTED)
    identity: dict[str, Any] = {
        "ins": draw(_NIRS),
        "oid": draw(st.sampled_from(ins_oids)),
        "family": "TESTHOMOLOG",
        "given": "CAMILLE",
        "birth_date": "1979-03-28",
        "gender": draw(_GENDERS),
        "birthplace": "51215",
    }
    for name in corrupted:
        identity[name] = draw(_CORRUPT[name])
    identity["corrupted"] = corrupted
    return identity
