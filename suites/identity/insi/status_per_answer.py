"""The identity status follows the INSi answer, as the RNIV sets it."""

from __future__ import annotations

from typing import Literal

from homolog import CheckError, Evidence, HttpClient, Params, Target, check, fail
from homolog.counterparts.insi import InsiControl

from ..insi_service import admit, insi_settings, register, searches_for
from ..settings import load_identity_settings
from ..sut import delete_patient, marker, read_patient, rniv_status

__all__ = ["InsiAnswerParams", "insi_status_per_answer"]

# RNIV: one identity returned -> récupérée; none or several -> the identity stays provisional.
_EXPECTED = {"found": ("00", "RECUP"), "not_found": ("01", "PROV"), "multiple": ("02", "PROV")}
_LABELS = {"RECUP": "récupérée", "PROV": "provisoire"}


class InsiAnswerParams(Params):
    """Which INSi answer the identity gets: one identity, none, or several (homonyms)."""

    answer: Literal["found", "not_found", "multiple"] = "found"


@check("identity.insi.status_per_answer", params=InsiAnswerParams)
def insi_status_per_answer(
    http: HttpClient, target: Target, insi: InsiControl, params: InsiAnswerParams, evidence: Evidence
) -> None:
    """The identity status follows the INSi answer: récupérée for one match, provisional for none or several.

    The simulator's directory is prepared so that the new identity's search finds one
    identity (``found``), none (``not_found``) or two homonyms born in different places
    (``multiple``); the identity is created without a birth place, as admission types it.
    """
    settings = insi_settings(target)
    id_settings = load_identity_settings(target)
    family = marker()
    code, expected = _EXPECTED[params.answer]
    if params.answer in ("found", "multiple"):
        register(insi, birth_name=family, given_names=("CAMILLE", "ANNE"), birth_place="51215")
    if params.answer == "multiple":
        register(insi, birth_name=family, given_names=("CAMILLE", "ROSE"), birth_place="69123")
    since = insi.last_seq()
    new_id = admit(http, family=family, first_name="CAMILLE", birth_date="1979-03-28")
    try:
        calls = searches_for(insi, since, family, wait=settings.call_delay_seconds)
        evidence.attach_json("insi-exchanges.json", calls)
        answers = [(c.get("response") or {}).get("code") for c in calls]
        if code not in answers:
            raise CheckError(
                f"the system's INSi search for {family} did not get the answer {code} this check prepares"
                f" (answers: {answers or 'no search'}): the status cannot be judged against it"
            )
        stored = read_patient(http, new_id)
        evidence.attach_json("patient.json", stored)
        status = rniv_status(stored, id_settings)
        if status != expected:
            fail(
                f"after INSi answered {code} for Patient/{new_id}, its status is {status!r};"
                f" the RNIV requires {_LABELS[expected]} ({expected})"
            )
    finally:
        delete_patient(http, new_id)
