"""The SUT refuses an INS whose control key is wrong, and stores nothing."""

from __future__ import annotations

from typing import Literal

from homolog import Evidence, HttpClient, Params, Target, check, fail

from ..fr_core_patient import birth_name
from ..insi_service import make_known_to_insi
from ..nir import nir_key
from ..settings import load_identity_settings
from ..sut import (
    WRITES_PATIENTS,
    create_patient,
    delete_patient,
    fresh_test_nir,
    is_operation_outcome,
    marker,
    qualified_test_patient,
    search_all,
)

__all__ = ["WrongKeyParams", "wrong_key_refused"]


class WrongKeyParams(Params):
    """Which wrong INS to send: a random wrong key, or a Corsican INS keyed as dept 20."""

    variant: Literal["wrong_key", "corsica"] = "wrong_key"


def _wrong_ins(variant: str) -> str:
    good = fresh_test_nir()
    if variant == "corsica":
        body = good[:5] + "2A" + good[7:13]
        # Computing the key with 2A read as 20 is the classic bug the SUT must not share.
        wrong = f"{97 - int(body[:5] + '20' + body[7:]) % 97:02d}"
        if wrong == nir_key(body):  # cannot happen (19 != 20 mod 97) but never send a valid one
            wrong = f"{int(wrong) % 97 + 1:02d}"
        return body + wrong
    body, key = good[:13], int(good[13:])
    return f"{body}{key % 97 + 1:02d}"


@check("identity.ins.wrong_key_refused", params=WrongKeyParams, needs=WRITES_PATIENTS)
def wrong_key_refused(http: HttpClient, target: Target, params: WrongKeyParams, evidence: Evidence) -> None:
    """A patient whose INS key is wrong is refused with an OperationOutcome and not stored."""
    settings = load_identity_settings(target)
    family = marker()
    ins = _wrong_ins(params.variant)
    patient = qualified_test_patient(settings, family=family, ins=ins)
    # Known to the INSi simulator as is: the refusal must come from the system's key check.
    make_known_to_insi(target, patient, as_given=True)
    evidence.attach_json("sent-patient.json", patient)
    resp, new_id = create_patient(http, patient)
    if 200 <= resp.status_code < 300:
        delete_patient(http, new_id)
        fail(f"{resp.describe()} accepted INS {ins} whose key is wrong (status {resp.status_code})")
    if not 400 <= resp.status_code < 500:
        fail(f"{resp.describe()} answered {resp.status_code} to a wrong INS key: a 4xx refusal is expected")
    if not is_operation_outcome(resp):
        fail(f"{resp.describe()} refused with {resp.status_code} but without an OperationOutcome explaining why")
    oid = settings.accepted_ins_oids[0]
    by_ins = [
        p
        for p in search_all(http, "Patient", {"identifier": f"urn:oid:{oid}|{ins}"})
        if any(isinstance(i, dict) and i.get("value") == ins for i in p.get("identifier") or [])
    ]
    by_name = [p for p in search_all(http, "Patient", {"family": family}) if birth_name(p) == family]
    if by_ins or by_name:
        ids = sorted({str(p.get("id")) for p in by_ins + by_name})
        for pid in ids:
            delete_patient(http, pid)
        fail(f"the refused patient was stored anyway: Patient/{', Patient/'.join(ids)}")
