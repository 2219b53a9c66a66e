"""RPPS/ADELI/idNatPS, FINESS/SIREN/SIRET/idNatSt and INS OIDs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from homolog.suites.identity import oids
from homolog.suites.identity.idnat import (
    check_finess,
    check_idnatps,
    check_idnatst,
    check_rpps,
    check_siren,
    check_siret,
    luhn_valid,
)
from homolog.suites.identity.strategies import (
    finess_numbers,
    idnatps,
    idnatst,
    invalid_luhn,
    rpps_numbers,
    sirens,
    sirets,
)

FAST = settings(max_examples=60, database=None, derandomize=True)


def test_luhn_known_values() -> None:
    assert luhn_valid("732829320")  # a SIREN of the INSEE documentation
    assert not luhn_valid("732829321")
    assert check_siret("73282932000074").valid


def test_idnatps_prefixes() -> None:
    assert check_idnatps("810003456782").kind == "idNatPS/RPPS"
    assert not check_idnatps("910003456782").valid
    assert check_idnatps("0751234567").kind == "idNatPS/ADELI"


def test_checksum_failure_is_an_error_in_production_and_a_warning_on_test_data() -> None:
    prod = check_idnatps("810000000001")
    test = check_idnatps("810000000001", test_data=True)
    assert not prod.valid and "check digit" in prod.errors[0]
    assert test.valid and test.warnings


def test_shape_errors_stay_errors_on_test_data() -> None:
    assert not check_rpps("1234", test_data=True).valid
    assert not check_idnatst("9123456789", test_data=True).valid


def test_corsican_finess_is_accepted_with_a_warning() -> None:
    result = check_finess("2A0000012")
    assert result.valid and result.warnings


def test_la_poste_siret_rule() -> None:
    body = "35600000000"
    # La Poste: the sum of the 14 digits is a multiple of 5.
    for tail in range(1000):
        cand = f"{body}{tail:03d}"
        if sum(map(int, cand)) % 5 == 0:
            assert check_siret(cand).valid
            break
    assert not check_siret("35600000000011").valid  # digit sum 16: not a multiple of 5


@FAST
@given(rpps_numbers())
def test_valid_rpps(value: str) -> None:
    assert check_rpps(value).valid


@FAST
@given(idnatps())
def test_valid_idnatps(value: str) -> None:
    result = check_idnatps(value)
    assert result.valid and not result.warnings


@FAST
@given(idnatst())
def test_valid_idnatst(value: str) -> None:
    result = check_idnatst(value)
    assert result.valid and not result.warnings


@FAST
@given(finess_numbers(), sirens(), sirets())
def test_valid_structures(finess: str, siren: str, siret: str) -> None:
    assert check_finess(finess).valid and check_siren(siren).valid and check_siret(siret).valid


@FAST
@given(st.sampled_from([9, 11, 14]).flatmap(invalid_luhn))
def test_invalid_luhn_refused(value: str) -> None:
    checker = {9: check_siren, 11: check_rpps, 14: check_siret}[len(value)]
    if not value.startswith("356000000"):
        assert not checker(value).valid
        assert checker(value, test_data=True).warnings


def test_ins_oids_where_acceptable() -> None:
    assert oids.ins_oid_acceptable(oids.INS_NIR.oid)
    assert oids.ins_oid_acceptable(oids.INS_NIA.oid)
    assert not oids.ins_oid_acceptable(oids.INS_NIR_TEST.oid)
    assert oids.ins_oid_acceptable(oids.INS_NIR_TEST.oid, test_data=True)
    assert oids.ins_oid_acceptable(oids.INS_NIR_DEMO.oid, test_data=True)
    assert not oids.ins_oid_acceptable(oids.INS_C.oid, test_data=True)
    assert not oids.ins_oid_acceptable(oids.INS_C.oid, accepted=[oids.INS_C.oid])
    assert oids.oid_from_system("urn:oid:1.2.250.1.213.1.4.8") == "1.2.250.1.213.1.4.8"
    assert oids.oid_from_system("https://example.org") is None


def test_fullwidth_digits_are_refused() -> None:
    # int() and str.isdigit() take them, the Luhn sum holds: a register never issues such a number
    fullwidth = "".join(chr(ord(c) - ord("0") + ord("０")) for c in "73282932000074")
    assert not luhn_valid(fullwidth[:9])
    assert not check_siret(fullwidth).valid
