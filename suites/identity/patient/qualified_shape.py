"""A qualified patient is exposed with the full FR Core INS shape."""

from __future__ import annotations

from homolog import CheckError, Evidence, HttpClient, Needs, Target, check, fail

from ..fr_core_patient import (
    EXT_IDENTITY_RELIABILITY,
    birth_given_names,
    birth_name,
    birthplace_insee,
    identity_status,
    ins_identifiers,
    official_name,
)
from ..nir import check_nir
from ..oids import INS_C, INS_OIDS, ins_oid_acceptable, oid_from_system
from ..settings import load_identity_settings
from ..sut import IDENTITY_API, optional_datum, read_patient, rniv_status

__all__ = ["qualified_patient_shape"]


@check("identity.patient.qualified_shape", needs=IDENTITY_API | Needs(data=("patient_qualified",)))
def qualified_patient_shape(http: HttpClient, target: Target, evidence: Evidence) -> None:
    """A qualified patient carries one official INS, its identity status and its birth traits.

    Reads ``data.patient_qualified``: exactly one ``official`` identifier, the INS under
    an accepted FR Core OID with a valid key, the reliability extension with a status,
    the birth name, the birth given names and the INSEE birthplace code.
    """
    settings = load_identity_settings(target)
    patient_id = str(target.datum("patient_qualified"))
    patient = read_patient(http, patient_id)
    status = rniv_status(patient, settings)
    if status != "QUAL":
        raise CheckError(
            f"target data patient_qualified (Patient/{patient_id}) is not a "
            f"qualified identity on the SUT (status {status!r}): fix the target"
        )
    problems: list[str] = []
    officials = [i for i in patient.get("identifier") or [] if isinstance(i, dict) and i.get("use") == "official"]
    ins = ins_identifiers(patient)
    if len(officials) != 1:
        problems.append(f"{len(officials)} identifiers have use=official (exactly 1 expected)")
    if len(ins) != 1:
        problems.append(f"{len(ins)} INS identifiers (exactly 1 expected)")
    for ident in ins:
        oid = oid_from_system(ident.get("system")) or ""
        if ident.get("use") != "official":
            problems.append(f"INS identifier has use={ident.get('use')!r}, not official")
        if oid == INS_C.oid or not ins_oid_acceptable(oid, accepted=settings.accepted_ins_oids):
            problems.append(
                f"INS system urn:oid:{oid} is not an accepted INS OID ({', '.join(settings.accepted_ins_oids)})"
            )
        value = ident.get("value")
        result = check_nir(value) if isinstance(value, str) else None
        if result is None or not result.valid:
            problems.append(
                f"INS value {value!r} is not a valid NIR: {'; '.join(result.errors) if result else 'not a string'}"
            )
        id_type = ident.get("type")
        codings = id_type.get("coding") if isinstance(id_type, dict) else None
        codes = [c.get("code") for c in codings if isinstance(c, dict)] if isinstance(codings, list) else []
        expected_type = INS_OIDS[oid].type_code if oid in INS_OIDS else None
        if expected_type and expected_type not in codes:
            # FR Core slices the INS by system and type together (INS-NIR-TEST for .10...).
            problems.append(
                f"INS identifier type {codes or 'missing'} does not match its "
                f"system urn:oid:{oid} (expected {expected_type})"
            )
    expected = optional_datum(target, "ins_qualified")
    if expected is not None and [i.get("value") for i in ins] != [str(expected)]:
        problems.append(f"INS {[i.get('value') for i in ins]} differs from the target's ins_qualified {expected!r}")
    if identity_status(patient) is None:
        problems.append(f"no identityStatus in the {EXT_IDENTITY_RELIABILITY} extension")
    if not birth_name(patient):
        problems.append("no birth name (name with use=official and a family)")
    given_list = birth_given_names(patient)
    if not given_list:
        problems.append("no birth given names (fr-core-patient-birth-list-given-name)")
    official = official_name(patient) or {}
    raw_given = official.get("given")
    given = raw_given if isinstance(raw_given, list) else []
    # FR Core: the official name's given holds the first birth given name only.
    if len(given) > 1:
        problems.append(
            f"official name has {len(given)} given names {given}: FR Core allows "
            "one (the first birth given name; the full list is the extension)"
        )
    elif given_list and given and given[0] != given_list.split()[0]:
        problems.append(f"official given name {given[0]!r} is not the first birth given name of {given_list!r}")
    insee = birthplace_insee(patient)
    if not insee or len(insee) != 5:
        problems.append(f"birthplace INSEE code missing or not 5 characters: {insee!r}")
    elif insee == "99999":
        # FR Core fr-core-3: INSi never returns 99999, so a qualified identity cannot hold it.
        problems.append("birthplace INSEE code 99999 (unknown) on a qualified identity")
    if not patient.get("birthDate"):
        problems.append("no birthDate")
    if patient.get("gender") not in ("female", "male", "other", "unknown"):
        problems.append(f"gender {patient.get('gender')!r} is not a FHIR gender")
    if problems:
        evidence.attach_json("patient-qualified.json", patient)
        fail(f"Patient/{patient_id}: " + "; ".join(problems))
