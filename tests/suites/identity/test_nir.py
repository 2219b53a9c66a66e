"""NIR/INS key: published test INS, Corsica rule, round-trip properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from homolog.suites.identity.nir import check_nir, is_valid_nir, nir_key, parse_nir, with_key
from homolog.suites.identity.strategies import (
    invalid_nirs,
    malformed_identities,
    nir_bodies,
    nirs,
)


@pytest.mark.parametrize("ins", ["279035121518989", "277076322082910"])
def test_published_test_ins_are_valid(ins: str) -> None:
    result = check_nir(ins)
    assert result.valid, result.errors
    assert result.fields is not None and result.fields.sex == "2"


def test_published_ins_fields() -> None:
    f = parse_nir("279035121518989")
    assert (f.year, f.month, f.department + f.commune, f.key) == ("79", "03", "51215", "89")


@pytest.mark.parametrize(
    "ins", ["279035121518988", "279035121518900", "27903512151898", "2790351215189890", "279035I21518989", ""]
)
def test_altered_ins_are_refused(ins: str) -> None:
    assert not is_valid_nir(ins)


def test_wrong_key_message_names_the_expected_key() -> None:
    result = check_nir("279035121518988")
    assert any("gives 89" in e for e in result.errors)


def test_corsica_key_uses_19_and_18() -> None:
    body_a = "185012A004123"
    body_b = "185012B004123"
    assert nir_key(body_a) == f"{97 - int('1850119004123') % 97:02d}"
    assert nir_key(body_b) == f"{97 - int('1850118004123') % 97:02d}"
    assert is_valid_nir(with_key(body_a)) and is_valid_nir(with_key(body_b))
    # Keying 2A as if it were department 20 is the classic bug: that number is refused.
    wrong = f"{97 - int('1850120004123') % 97:02d}"
    assert not is_valid_nir(body_a + wrong)


@settings(max_examples=200, database=None, derandomize=True)
@given(nir_bodies())
def test_key_round_trip(body: str) -> None:
    full = with_key(body)
    assert is_valid_nir(full)
    assert nir_key(full[:13]) == full[13:]


@settings(max_examples=100, database=None, derandomize=True)
@given(nirs(corsica=True))
def test_corsican_nirs_are_valid(nir: str) -> None:
    assert nir[5:7] in ("2A", "2B")
    assert is_valid_nir(nir)


@settings(max_examples=200, database=None, derandomize=True)
@given(invalid_nirs())
def test_invalid_nirs_are_refused(value: str) -> None:
    assert not is_valid_nir(value)


@settings(max_examples=100, database=None, derandomize=True)
@given(nir_bodies(corsica=False))
def test_every_other_key_is_refused(body: str) -> None:
    good = int(nir_key(body))
    for key in (good % 97 + 1, (good + 47) % 97 + 1):
        if key != good:
            assert not is_valid_nir(f"{body}{key:02d}")


@settings(max_examples=80, database=None, derandomize=True)
@given(malformed_identities(ins_oids=("1.2.250.1.213.1.4.10",)))
def test_malformed_identities_corrupt_what_they_say(identity: dict[str, object]) -> None:
    corrupted = identity["corrupted"]
    assert isinstance(corrupted, list) and corrupted
    ins = identity["ins"]
    if "ins" in corrupted:
        assert not (isinstance(ins, str) and is_valid_nir(ins))
    else:
        assert isinstance(ins, str) and is_valid_nir(ins)
    if "family" not in corrupted:
        assert identity["family"] == "TESTHOMOLOG"


def test_fullwidth_digits_are_refused() -> None:
    # the key of "２７９…" computes as for "279…": only ASCII digits make a NIR
    fullwidth = "".join(chr(ord(c) - ord("0") + ord("０")) for c in "279035121518989")
    assert not check_nir(fullwidth).valid
    assert not is_valid_nir(fullwidth)
