"""An INS that INSi never confirmed is not stored as récupérée or qualifiée."""

from __future__ import annotations

from typing import Literal

from homolog import CheckError, Evidence, HttpClient, Params, Target, check, fail
from homolog.counterparts.insi import InsiControl

from ..insi_service import insi_settings
from ..settings import load_identity_settings
from ..sut import (
    create_patient,
    delete_patient,
    fresh_test_nir,
    marker,
    qualified_test_patient,
    read_patient,
    rniv_status,
)

__all__ = ["UnverifiedParams", "unverified_ins_refused"]


class UnverifiedParams(Params):
    """The status the identity is submitted with."""

    status: Literal["QUAL", "RECUP"] = "QUAL"


@check("identity.insi.unverified_ins_refused", params=UnverifiedParams)
def unverified_ins_refused(
    http: HttpClient, target: Target, insi: InsiControl, params: UnverifiedParams, evidence: Evidence
) -> None:
    """The system does not mark an identity récupérée or qualifiée with an INS that INSi did not confirm.

    An identity is submitted with a well-formed INS (right key) unknown to INSi and the
    status ``status``. The system must refuse it, or store it without that status; storing
    it récupérée or qualifiée means the INS was trusted without INSi's confirmation.
    """
    settings = insi_settings(target)
    id_settings = load_identity_settings(target)
    ins = fresh_test_nir()
    since = insi.last_seq()
    sent = qualified_test_patient(id_settings, family=marker(), ins=ins, rniv=params.status)
    resp, new_id = create_patient(http, sent)
    try:
        if 400 <= resp.status_code < 500:
            return
        if not new_id:
            raise CheckError(f"{resp.describe()} answered {resp.status_code} without creating a patient: cannot decide")
        stored = read_patient(http, new_id)
        status = rniv_status(stored, id_settings)
        if status not in ("RECUP", "QUAL"):
            return
        calls = [
            c
            for c in insi.wait_for(
                since, lambda r: ins in str(r.get("request")), timeout=min(1.0, settings.call_delay_seconds)
            )
        ]
        evidence.attach_json("patient.json", stored)
        evidence.attach_json("insi-exchanges.json", calls)
        answers = [(c.get("operation"), (c.get("response") or {}).get("code")) for c in calls]
        fail(
            f"Patient/{new_id} was stored with status {status} and INS {ins}, which INSi does not know"
            f" (INSi exchanges about it: {answers or 'none'})"
        )
    finally:
        delete_patient(http, new_id)
