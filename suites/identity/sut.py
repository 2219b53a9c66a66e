"""FHIR calls the identity checks share: create, read, update, search, history, cleanup.

Every SUT answer is untrusted: bodies are parsed defensively and a body that is not
the JSON a step needs makes the check undecidable (CheckError), never a pass.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from typing import Any

from homolog import CheckError, CheckFailed, HttpClient, Needs, Response, Target

from .fr_core_patient import (
    build_patient,
    bundle_resources,
    ins_identifiers,
    set_identity_status,
)
from .nir import with_key
from .oids import INS_OIDS
from .settings import IdentitySettings

__all__ = [
    "IDENTITY_API",
    "MAX_PAGES",
    "WRITES_PATIENTS",
    "body_json",
    "count_history_records",
    "create_patient",
    "delete_patient",
    "fresh_test_nir",
    "history_versions",
    "ins_values",
    "is_operation_outcome",
    "mark_reliability",
    "marker",
    "optional_datum",
    "qualified_test_patient",
    "read_patient",
    "rniv_status",
    "search_all",
]

#: What the identity checks read through: the FHIR API and its auth entry.
IDENTITY_API = Needs(bases=("fhir",), auth=("fhir",))
#: Checks that create test patients (recorded by the run and removed at its end).
WRITES_PATIENTS = IDENTITY_API | Needs(writes=True)

# Bounded paging: a SUT that loops its `next` links must not keep a check running.
MAX_PAGES = 20
_METHOD_SYSTEM = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-method-collection"
_VALIDATION_SYSTEM = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-mode-validation-identity"
_EXT_RELIABILITY = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"


def body_json(resp: Response) -> Any:
    """The response body as JSON, or None when it is not JSON."""
    try:
        return resp.json()
    except (ValueError, CheckFailed):  # the engine's Response.json raises CheckFailed
        return None


def is_operation_outcome(resp: Response) -> bool:
    """True when the response body is a FHIR OperationOutcome with at least one issue."""
    body = body_json(resp)
    return (
        isinstance(body, Mapping)
        and body.get("resourceType") == "OperationOutcome"
        and isinstance(body.get("issue"), list)
        and bool(body["issue"])
    )


def marker() -> str:
    """A unique upper-case birth name that tags the patients a check creates."""
    tail = "".join(secrets.choice(string.ascii_uppercase) for _ in range(10))
    return f"HOMOLOG-{tail}"


def fresh_test_nir() -> str:
    """A random valid NIR coherent with the test traits (F, born 1979-03, Marne).

    The commune and order number are random so that repeated runs do not collide.
    """
    commune = 1 + secrets.randbelow(999)
    order = 1 + secrets.randbelow(999)
    return with_key(f"2790351{commune:03d}{order:03d}")


# RNIV status -> FR Core reliability (identityStatus, methodCollection, validationMode).
# FR Core invariants fr-core-1/2 tie identityStatus VALI to an official INS: only a
# qualified identity is VALI; the others are PROV or VIDE ("not yet qualified").
_RELIABILITY = {
    "PROV": ("PROV", "SM", None),
    "RECUP": ("VIDE", "INSI", None),
    "VALI": ("VIDE", "SM", "CN"),
    "QUAL": ("VALI", "INSI", "CN"),
}


def mark_reliability(patient: dict[str, Any], rniv: str) -> None:
    """Express an RNIV status with FR Core's reliability extension, in place."""
    status, method, validation = _RELIABILITY[rniv]
    set_identity_status(patient, status)
    ext = next(e for e in patient["extension"] if e.get("url") == _EXT_RELIABILITY)
    ext["extension"].append({"url": "methodCollection", "valueCoding": {"system": _METHOD_SYSTEM, "code": method}})
    if validation:
        ext["extension"].append(
            {"url": "validationMode", "valueCoding": {"system": _VALIDATION_SYSTEM, "code": validation}}
        )


def rniv_status(patient: Mapping[str, Any], settings: IdentitySettings) -> str | None:
    """The RNIV status (PROV, RECUP, VALI, QUAL, or another FR Core code) of a Patient.

    Uses the target's ``status_tag_system`` (``meta.tag``) when declared, else the FR
    Core reliability extension read as :func:`mark_reliability` writes it.
    """
    if settings.status_tag_system:
        meta = patient.get("meta")
        tags = meta.get("tag") if isinstance(meta, Mapping) else None
        for tag in tags if isinstance(tags, list) else []:
            if isinstance(tag, Mapping) and tag.get("system") == settings.status_tag_system:
                code = tag.get("code")
                return code if isinstance(code, str) else None
    found: dict[str, Any] = {}
    for ext in patient.get("extension") or []:
        if isinstance(ext, Mapping) and ext.get("url") == _EXT_RELIABILITY:
            for sub in ext.get("extension") or []:
                if isinstance(sub, Mapping) and isinstance(sub.get("valueCoding"), Mapping):
                    found[str(sub.get("url"))] = sub["valueCoding"].get("code")
    status = found.get("identityStatus")
    if status == "VALI":
        return "QUAL"
    if status == "VIDE":
        if found.get("methodCollection") == "INSI":
            return "RECUP"
        return "VALI" if found.get("validationMode") else "PROV"
    return status if isinstance(status, str) else None


def qualified_test_patient(
    settings: IdentitySettings, *, family: str, ins: str | None = None, rniv: str = "QUAL"
) -> dict[str, Any]:
    """A complete synthetic identity with an INS under the first accepted OID."""
    oid = settings.accepted_ins_oids[0]
    nir = ins or fresh_test_nir()
    # Birthplace coherent with the NIR when it is a French commune (not 99 = abroad).
    place = nir[5:10] if len(nir) >= 10 and nir[5:7] != "99" else "51215"
    patient = build_patient(
        family=family,
        given="CAMILLE",
        birth_given_names="CAMILLE ANNE",
        birth_date="1979-03-28",
        gender="female",
        birthplace=place,
        status=None,
        ins=nir,
        oid=oid,
    )
    mark_reliability(patient, rniv)
    return patient


def create_patient(http: HttpClient, patient: Mapping[str, Any]) -> tuple[Any, str | None]:
    """POST a Patient; return the response and the new id (from Location or body)."""
    resp = http.request("POST", "/Patient", base="fhir", json=patient, auth="fhir")
    new_id = None
    if 200 <= resp.status_code < 300:
        body = body_json(resp)
        if isinstance(body, Mapping) and isinstance(body.get("id"), str):
            new_id = body["id"]
        else:
            loc = resp.headers.get("location", "")
            parts = loc.split("/Patient/", 1)
            if len(parts) == 2:
                new_id = parts[1].split("/", 1)[0]
    return resp, new_id


def read_patient(http: HttpClient, patient_id: str) -> dict[str, Any]:
    """GET a Patient; CheckError when it cannot be read as a Patient."""
    resp = http.get(f"/Patient/{patient_id}", base="fhir", auth="fhir")
    body = body_json(resp)
    if resp.status_code != 200 or not isinstance(body, dict) or body.get("resourceType") != "Patient":
        raise CheckError(f"could not read Patient/{patient_id}: {resp.status_code} for {resp.describe()}")
    return body


def delete_patient(http: HttpClient, patient_id: str | None) -> bool:
    """Best-effort cleanup of a patient a check created; False when DELETE is unsupported."""
    if not patient_id:
        return True
    try:
        resp = http.request("DELETE", f"/Patient/{patient_id}", base="fhir", auth="fhir")
    except Exception:  # cleanup must never change a verdict
        return False
    return bool(resp.status_code < 400)


def search_all(http: HttpClient, resource: str, params: Mapping[str, str]) -> list[Mapping[str, Any]]:
    """Search and follow ``next`` links (at most MAX_PAGES pages); return the resources."""
    resp = http.get(f"/{resource}", base="fhir", params=dict(params), auth="fhir")
    found: list[Mapping[str, Any]] = []
    for _ in range(MAX_PAGES):
        body = body_json(resp)
        if resp.status_code != 200 or not isinstance(body, Mapping) or body.get("resourceType") != "Bundle":
            raise CheckError(f"search {resp.describe()} did not return a Bundle (status {resp.status_code})")
        found.extend(bundle_resources(body, resource))
        raw_links = body.get("link")
        links = raw_links if isinstance(raw_links, list) else []
        nxt = next(
            (
                lk.get("url")
                for lk in links
                if isinstance(lk, Mapping) and lk.get("relation") == "next" and isinstance(lk.get("url"), str)
            ),
            None,
        )
        if not nxt:
            return found
        resp = http.get(nxt, base="fhir", auth="fhir")
    raise CheckError(f"search of {resource} has more than {MAX_PAGES} pages: refine the data")


def history_versions(http: HttpClient, patient_id: str) -> list[Mapping[str, Any]]:
    """The Patient versions of ``Patient/{id}/_history`` (newest first as served)."""
    resp = http.get(f"/Patient/{patient_id}/_history", base="fhir", auth="fhir")
    body = body_json(resp)
    if resp.status_code != 200 or not isinstance(body, Mapping):
        raise CheckError(
            f"{resp.describe()} returned {resp.status_code}: the target says "
            "status changes are kept in the FHIR history"
        )
    return bundle_resources(body, "Patient")


def ins_values(patient: Mapping[str, Any]) -> list[tuple[str | None, Any]]:
    """(OID, value) of each INS identifier of a Patient."""
    out = []
    for ident in ins_identifiers(patient):
        system = ident.get("system")
        oid = system[len("urn:oid:") :] if isinstance(system, str) else None
        out.append((oid if oid in INS_OIDS else None, ident.get("value")))
    return out


def optional_datum(target: Target, key: str) -> Any:
    """``target.datum(key)``, or None when the target does not declare it."""
    try:
        return target.datum(key)
    except CheckError:
        return None


def count_history_records(http: HttpClient, settings: IdentitySettings, patient_id: str) -> int:
    """AuditEvent or Provenance resources referencing the patient (``settings.history``)."""
    ref = f"Patient/{patient_id}"
    if settings.history == "auditevent":
        found = search_all(http, "AuditEvent", {"entity": ref})
        return sum(1 for e in found if ref in str(e.get("entity")))
    found = search_all(http, "Provenance", {"target": ref})
    return sum(1 for e in found if ref in str(e.get("target")))
