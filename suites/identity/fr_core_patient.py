"""Reading and writing FR Core ``fr-core-patient-ins`` Patients (pure functions).

Used by the identity checks; no I/O here. Everything comes from the SUT and is
untrusted: every accessor tolerates missing keys and wrong JSON types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .oids import INS_OIDS, oid_from_system

__all__ = [
    "EXT_BIRTH_GIVEN_NAMES",
    "EXT_BIRTH_PLACE",
    "EXT_IDENTITY_RELIABILITY",
    "EXT_INSEE_CODE",
    "STATUS_SYSTEM",
    "birth_given_names",
    "birth_name",
    "birthplace_insee",
    "build_patient",
    "bundle_resources",
    "identity_status",
    "ins_identifiers",
    "official_name",
    "set_birth_name",
    "set_identity_status",
]

EXT_IDENTITY_RELIABILITY = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"
EXT_BIRTH_GIVEN_NAMES = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-birth-list-given-name"
EXT_BIRTH_PLACE = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
EXT_INSEE_CODE = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code"
STATUS_SYSTEM = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0445"
IDENTIFIER_TYPE_SYSTEM = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"
INSEE_COG_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM"


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in _list(value) if isinstance(v, Mapping)]


def _ext(container: Mapping[str, Any], url: str) -> list[Mapping[str, Any]]:
    return [e for e in _dicts(container.get("extension")) if e.get("url") == url]


def ins_identifiers(patient: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Identifiers whose system is one of the INS OIDs (NIR, NIA, test, demo, INS-C)."""
    return [i for i in _dicts(patient.get("identifier")) if oid_from_system(i.get("system")) in INS_OIDS]


def identity_status(patient: Mapping[str, Any]) -> str | None:
    """The identity status code of the reliability extension, or None when absent."""
    for ext in _ext(patient, EXT_IDENTITY_RELIABILITY):
        for sub in _dicts(ext.get("extension")):
            if sub.get("url") == "identityStatus":
                coding = sub.get("valueCoding")
                if isinstance(coding, Mapping) and isinstance(coding.get("code"), str):
                    return str(coding["code"])
    return None


def official_name(patient: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The ``name`` with ``use=official`` (the birth name), or None."""
    names = [n for n in _dicts(patient.get("name")) if n.get("use") == "official"]
    return names[0] if names else None


def birth_name(patient: Mapping[str, Any]) -> str | None:
    """The birth name (``family`` of the official name)."""
    name = official_name(patient)
    family = name.get("family") if name else None
    return family if isinstance(family, str) else None


def birth_given_names(patient: Mapping[str, Any]) -> str | None:
    """The birth given names list (FR Core extension on the official name)."""
    name = official_name(patient)
    if name is None:
        return None
    for ext in _ext(name, EXT_BIRTH_GIVEN_NAMES):
        if isinstance(ext.get("valueString"), str):
            return str(ext["valueString"])
    return None


def birthplace_insee(patient: Mapping[str, Any]) -> str | None:
    """The INSEE code of the birthplace (``patient-birthPlace`` address extension)."""
    for ext in _ext(patient, EXT_BIRTH_PLACE):
        addr = ext.get("valueAddress")
        if not isinstance(addr, Mapping):
            continue
        for code in _ext(addr, EXT_INSEE_CODE):
            coding = code.get("valueCoding")
            if isinstance(coding, Mapping) and isinstance(coding.get("code"), str):
                return str(coding["code"])
    return None


def bundle_resources(bundle: Any, resource_type: str | None = None) -> list[Mapping[str, Any]]:
    """The resources of a searchset Bundle's entries (optionally of one type)."""
    if not isinstance(bundle, Mapping):
        return []
    out = []
    for entry in _dicts(bundle.get("entry")):
        res = entry.get("resource")
        if isinstance(res, Mapping) and (resource_type is None or res.get("resourceType") == resource_type):
            out.append(res)
    return out


def build_patient(
    *,
    family: Any,
    given: Any,
    birth_date: Any,
    gender: Any,
    birthplace: Any,
    status: str | None,
    ins: Any = None,
    oid: str | None = None,
    birth_given_names: Any = None,
) -> dict[str, Any]:
    """A ``fr-core-patient-ins`` Patient; values are placed as given (possibly malformed)."""
    name: dict[str, Any] = {"use": "official", "family": family, "given": [given]}
    if birth_given_names is not None:
        name["extension"] = [{"url": EXT_BIRTH_GIVEN_NAMES, "valueString": birth_given_names}]
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "extension": [
            {
                "url": EXT_BIRTH_PLACE,
                "valueAddress": {
                    "extension": [
                        {"url": EXT_INSEE_CODE, "valueCoding": {"system": INSEE_COG_SYSTEM, "code": birthplace}}
                    ]
                },
            }
        ],
        "name": [name],
        "gender": gender,
        "birthDate": birth_date,
    }
    if status is not None:
        set_identity_status(patient, status)
    if ins is not None and oid is not None:
        info = INS_OIDS.get(oid)
        type_code = info.type_code if info else "INS-NIR"
        patient["identifier"] = [
            {
                "use": "official",
                "type": {"coding": [{"system": IDENTIFIER_TYPE_SYSTEM, "code": type_code}]},
                "system": f"urn:oid:{oid}",
                "value": ins,
            }
        ]
    return patient


def set_identity_status(patient: dict[str, Any], status: str) -> None:
    """Set (or replace) the identity status in the reliability extension, in place."""
    exts = [
        e
        for e in _list(patient.get("extension"))
        if not (isinstance(e, Mapping) and e.get("url") == EXT_IDENTITY_RELIABILITY)
    ]
    exts.append(
        {
            "url": EXT_IDENTITY_RELIABILITY,
            "extension": [{"url": "identityStatus", "valueCoding": {"system": STATUS_SYSTEM, "code": status}}],
        }
    )
    patient["extension"] = exts


def set_birth_name(patient: dict[str, Any], family: str) -> None:
    """Replace the birth name (official name's family), in place."""
    for name in _list(patient.get("name")):
        if isinstance(name, dict) and name.get("use") == "official":
            name["family"] = family


def given_names_of(names: Sequence[str]) -> str:
    """Birth given names joined the FR Core way (space separated)."""
    return " ".join(names)
