"""The system keeps the traits and the INS that INSi returns, not what was typed."""

from __future__ import annotations

import copy
from typing import Any

from homolog import CheckError, Evidence, HttpClient, Target, check, fail
from homolog.counterparts.insi import InsiControl

from ..fr_core_patient import build_patient
from ..insi_service import TestIdentity, admit, insi_settings, register, searches_for, stored_traits
from ..settings import load_identity_settings
from ..sut import delete_patient, mark_reliability, marker, read_patient, rniv_status

__all__ = ["insi_returned_traits_stored", "qualify_with"]

_EXT_RELIABILITY = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"


def qualify_with(patient: dict[str, Any], identity: TestIdentity) -> dict[str, Any]:
    """The update a professional sends after checking an ID document: status qualified, the INS kept."""
    changed = copy.deepcopy(patient)
    changed.pop("meta", None)  # server-managed (version, tags): a client sends its data
    changed["extension"] = [
        e for e in changed.get("extension") or [] if not (isinstance(e, dict) and e.get("url") == _EXT_RELIABILITY)
    ]
    mark_reliability(changed, "QUAL")
    shaped = build_patient(
        family="", given="", birth_date="", gender="", birthplace="", status=None, ins=identity.ins, oid=identity.oid
    )
    changed["identifier"] = [*(changed.get("identifier") or []), *shaped["identifier"]]
    return changed


@check("identity.insi.returned_traits_stored")
def insi_returned_traits_stored(http: HttpClient, target: Target, insi: InsiControl, evidence: Evidence) -> None:
    """The system stores the traits and the INS that INSi returns, not the ones typed at admission.

    Admission types the birth name in lower case, one first name and no birth place; INSi
    returns the reference traits (birth name, the full list of birth first names, sex,
    birth date, birth place code) and the INS with its OID. The identity must hold exactly
    the returned traits, be récupérée, and, once qualified, expose the returned INS under
    the returned OID.
    """
    settings = insi_settings(target)
    id_settings = load_identity_settings(target)
    family = marker()
    identity = register(insi, birth_name=family, given_names=("CAMILLE", "ANNE", "MARIE"), birth_place="51215")
    since = insi.last_seq()
    new_id = admit(http, family=family.title(), first_name="Camille", birth_date=identity.birth_date)
    try:
        calls = searches_for(insi, since, family, wait=settings.call_delay_seconds)
        evidence.attach_json("insi-exchanges.json", calls)
        answered = [c for c in calls if (c.get("response") or {}).get("code") == "00"]
        if not answered:
            reasons = [p for c in calls for p in c.get("problems") or []]
            fail(
                f"INSi never answered the identity {family} (Patient/{new_id}) with its INS:"
                + (f" the system's requests were refused ({'; '.join(reasons)})" if reasons else " no search was made")
            )
        stored = read_patient(http, new_id)
        evidence.attach_json("patient-after-insi.json", stored)
        got = stored_traits(stored)
        want = {
            "birth_name": identity.birth_name,
            "given_names": identity.given_names,
            "sex": identity.sex,
            "birth_date": identity.birth_date,
            "birth_place": identity.birth_place,
        }
        wrong = [f"{k} is {got[k]!r}, INSi returned {v!r}" for k, v in want.items() if got[k] != v]
        status = rniv_status(stored, id_settings)
        if status != "RECUP":
            wrong.append(f"status is {status!r}, expected récupérée (RECUP) after INSi returned the identity")
        if wrong:
            fail(f"Patient/{new_id} does not hold what INSi returned: " + "; ".join(wrong))
        put = http.request("PUT", f"/Patient/{new_id}", base="fhir", json=qualify_with(stored, identity), auth="fhir")
        if not 200 <= put.status_code < 300:
            raise CheckError(
                f"qualifying the récupérée identity was refused ({put.describe()} answered {put.status_code}):"
                " cannot see which INS the system stored"
            )
        qualified = read_patient(http, new_id)
        evidence.attach_json("patient-qualified.json", qualified)
        ins = stored_traits(qualified)["ins"]
        if ins != [(identity.oid, identity.ins)]:
            fail(f"Patient/{new_id} qualified exposes INS {ins}, INSi returned {identity.ins} under OID {identity.oid}")
    finally:
        delete_patient(http, new_id)
