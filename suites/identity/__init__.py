"""Identity suite: INS (NIR/NIA) and its key, INS OIDs, national identifiers, RNIV checks.

The identifier library is importable from here; the check ``identity.<group>.<name>``
lives in ``<group>/<name>.py`` (``ins/wrong_key_refused.py``, ...) and registers itself
with the engine when imported. Hypothesis strategies: :mod:`homolog.suites.identity.strategies`.
"""

from __future__ import annotations

from .idnat import (
    IdCheck,
    check_adeli,
    check_finess,
    check_idnatps,
    check_idnatst,
    check_rpps,
    check_siren,
    check_siret,
    luhn_check_digit,
    luhn_valid,
)
from .nir import NirCheck, NirFields, check_nir, is_valid_nir, nir_key, parse_nir, with_key
from .oids import (
    INS_C,
    INS_NIA,
    INS_NIR,
    INS_NIR_DEMO,
    INS_NIR_TEST,
    INS_OIDS,
    InsOid,
    accepted_ins_oids,
    ins_oid_acceptable,
)

__all__ = [
    "INS_C",
    "INS_NIA",
    "INS_NIR",
    "INS_NIR_DEMO",
    "INS_NIR_TEST",
    "INS_OIDS",
    "IdCheck",
    "InsOid",
    "NirCheck",
    "NirFields",
    "accepted_ins_oids",
    "check_adeli",
    "check_finess",
    "check_idnatps",
    "check_idnatst",
    "check_nir",
    "check_rpps",
    "check_siren",
    "check_siret",
    "ins_oid_acceptable",
    "is_valid_nir",
    "luhn_check_digit",
    "luhn_valid",
    "nir_key",
    "parse_nir",
    "with_key",
]
