"""A search by INS identifier finds exactly the patient."""

from __future__ import annotations

from homolog import Evidence, HttpClient, Needs, Target, check, fail

from ..nir import with_key
from ..settings import load_identity_settings
from ..sut import IDENTITY_API, optional_datum, search_all

__all__ = ["search_by_ins_exact"]


@check("identity.ins.search_exact", needs=IDENTITY_API | Needs(data=("patient_qualified", "ins_qualified")))
def search_by_ins_exact(http: HttpClient, target: Target, evidence: Evidence) -> None:
    """A search by INS returns exactly that patient, and nothing for an unknown INS."""
    settings = load_identity_settings(target)
    patient_id = str(target.datum("patient_qualified"))
    ins = str(target.datum("ins_qualified"))
    oid = str(optional_datum(target, "ins_oid_qualified") or settings.accepted_ins_oids[0])
    found = search_all(http, "Patient", {"identifier": f"urn:oid:{oid}|{ins}"})
    ids = [str(p.get("id")) for p in found]
    if ids != [patient_id]:
        evidence.attach_json("search-ids.json", ids)
        fail(
            f"search identifier=urn:oid:{oid}|{ins} returned {len(ids)} patient(s) "
            f"{ids[:10]}: exactly [{patient_id}] expected"
        )
    # Same OID, a valid INS nobody has: must return nothing (not "everything").
    other = with_key(("1" if ins[0] == "2" else "2") + ins[1:13])
    stray = search_all(http, "Patient", {"identifier": f"urn:oid:{oid}|{other}"})
    if stray:
        fail(f"search for the unknown INS {other} returned {len(stray)} patient(s)")
