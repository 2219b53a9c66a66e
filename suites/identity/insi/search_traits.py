"""The system calls INSi with the traits of the identity it creates."""

from __future__ import annotations

from typing import Any

from homolog import Evidence, HttpClient, Target, check, fail
from homolog.counterparts.insi import InsiControl

from ..insi_service import admit, insi_settings, normalise, register, searches_for
from ..sut import delete_patient, marker

__all__ = ["insi_search_traits", "trait_problems"]


def trait_problems(sent: dict[str, Any], *, family: str, first_name: str, sex: str, birth_date: str) -> list[str]:
    """What is missing or wrong among the traits of an INSi search, compared with the identity."""
    problems = []
    if normalise(sent.get("birth_name")) != normalise(family):
        problems.append(f"NomNaissance {sent.get('birth_name')!r} is not the birth name {family!r}")
    firsts = [normalise(n) for n in sent.get("first_names") or []]
    if normalise(first_name) not in firsts:
        problems.append(f"Prenom {sent.get('first_names') or 'missing'} does not hold the first name {first_name!r}")
    if sent.get("sex") != sex:
        problems.append(f"Sexe is {sent.get('sex')!r}, expected {sex!r}" if sent.get("sex") else "Sexe is missing")
    if sent.get("birth_date") != birth_date:
        problems.append(
            f"DateNaissance is {sent.get('birth_date')!r}, expected {birth_date!r}"
            if sent.get("birth_date")
            else "DateNaissance is missing"
        )
    return problems


@check("identity.insi.search_traits")
def insi_search_traits(http: HttpClient, target: Target, insi: InsiControl, evidence: Evidence) -> None:
    """The system searches INSi with the birth name, first name, sex and birth date of a new identity.

    A provisional identity (no INS) is created through the FHIR API, as admission would
    type it; the INSi simulator must then receive a search (``rechercherInsAvecTraitsIdentite``)
    carrying its birth name, its first birth given name, its sex and its birth date.
    """
    settings = insi_settings(target)
    family = marker()
    # Known to the directory, so that the call can succeed: only the request is judged here.
    register(insi, birth_name=family, given_names=("CAMILLE", "ANNE"))
    since = insi.last_seq()
    new_id = admit(http, family=family, first_name="CAMILLE", birth_date="1979-03-28")
    try:
        calls = searches_for(insi, since, family, wait=settings.call_delay_seconds)
        if not calls:
            refused = [
                "; ".join(r.get("problems") or [])
                for r in insi.exchanges(since)
                if r.get("operation") in ("unknown", "rejected")
            ]
            fail(
                f"no INSi search for the identity created as Patient/{new_id} (birth name {family}) within"
                f" {settings.call_delay_seconds:g} s"
                + (f"; INSi could not read {len(refused)} message(s): {' | '.join(refused)}" if refused else "")
            )
        evidence.attach_json("insi-exchanges.json", calls)
        call = calls[0]
        sent = (call.get("request") or {}).get("traits") or {}
        problems = trait_problems(sent, family=family, first_name="CAMILLE", sex="F", birth_date="1979-03-28")
        if problems:
            fault = " (INSi refused the request with a SOAP fault)" if call.get("outcome") == "fault" else ""
            fail(f"the INSi search for Patient/{new_id}: " + "; ".join(problems) + fault)
    finally:
        delete_patient(http, new_id)
