"""Test data the FHIR checks make themselves when the target declares none and lets the run write.

A target with `data_policy: create` may leave out `data.practitioner` or
`data.organization`: the first check that needs one creates it through the API
(`homolog.TestData`), FR Core-conformant, with identifiers made for this run (Luhn-valid
synthetic RPPS / FINESS numbers under a prefix real ones do not use) and tagged as test
data in `meta.tag` (HL7 `HTEST`, and homolog's own tag). The run's cleanup ledger holds
it and the run deletes it at the end.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

from homolog import CheckError, HttpClient, Response, TestData
from homolog.suites.fhir.api import FHIR_JSON
from homolog.suites.identity.idnat import luhn_check_digit

__all__ = ["CREATABLE", "TEST_DATA_TAGS", "data_id", "organization", "practitioner"]

FR_CORE = "https://hl7.fr/ig/fhir/core/StructureDefinition/"
_IDENTIFIER_TYPES = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"
#: How a resource made by homolog says it is test data (FHIR's standard tag, then ours).
TEST_DATA_TAGS = (
    {"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HTEST", "display": "test health data"},
    {"system": "https://homolog.dev/fhir/CodeSystem/test-data", "code": "homolog", "display": "homolog test data"},
)
# Synthetic numbers start with 19 (RPPS) / 99 (FINESS): no real professional or establishment.
_RPPS_PREFIX = "19"
_FINESS_PREFIX = "99"


def _number(prefix: str, length: int) -> str:
    body = prefix + "".join(str(secrets.randbelow(10)) for _ in range(length - len(prefix) - 1))
    return body + luhn_check_digit(body)


def _meta(profile: str) -> dict[str, Any]:
    return {"profile": [FR_CORE + profile], "tag": [dict(t) for t in TEST_DATA_TAGS]}


def practitioner() -> dict[str, Any]:
    """An FR Core practitioner with a new RPPS (and its idNatPS)."""
    rpps = _number(_RPPS_PREFIX, 11)
    return {
        "resourceType": "Practitioner",
        "meta": _meta("fr-core-practitioner"),
        "identifier": [
            {
                "use": "official",
                "type": {"coding": [{"system": _IDENTIFIER_TYPES, "code": "IDNPS"}]},
                "system": "urn:oid:1.2.250.1.71.4.2.1",
                "value": "8" + rpps,
            },
            {
                "type": {"coding": [{"system": _IDENTIFIER_TYPES, "code": "RPPS"}]},
                "system": "https://rpps.esante.gouv.fr",
                "value": rpps,
            },
        ],
        "name": [{"use": "usual", "family": "HOMOLOG-TEST", "given": ["Praticien"], "prefix": ["DR"]}],
    }


def organization() -> dict[str, Any]:
    """An FR Core organization with a new FINESS (and its idNatSt)."""
    finess = _number(_FINESS_PREFIX, 9)
    return {
        "resourceType": "Organization",
        "meta": _meta("fr-core-organization"),
        "identifier": [
            {
                "use": "official",
                "type": {"coding": [{"system": _IDENTIFIER_TYPES, "code": "IDNST"}]},
                "system": "urn:oid:1.2.250.1.71.4.2.2",
                "value": "1" + finess,
            },
            {
                "type": {"coding": [{"system": _IDENTIFIER_TYPES, "code": "FINEG"}]},
                "system": "https://finess.esante.gouv.fr",
                "value": finess,
            },
        ],
        "name": "Établissement de test homolog",
    }


#: data key -> (resource type, builder) of the test data the FHIR checks can make.
CREATABLE: dict[str, tuple[str, Callable[[], dict[str, Any]]]] = {
    "practitioner": ("Practitioner", practitioner),
    "organization": ("Organization", organization),
}


def _created_id(resp: Response, rtype: str) -> str | None:
    """The id of a created resource: its body's, else the Location header's."""
    try:
        body = json.loads(resp.content) if resp.content else None
    except (ValueError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict) and body.get("resourceType") == rtype and isinstance(body.get("id"), str):
        return str(body["id"])
    parts = resp.headers.get("location", "").split("?", 1)[0].split("/_history/", 1)[0].rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] == rtype and parts[-1]:
        return str(parts[-1])
    return None


def data_id(http: HttpClient, test_data: TestData, key: str) -> str:
    """The id of `data.<key>`: the target's, or a resource this run creates (see module doc)."""
    if key not in CREATABLE:
        return str(test_data.target.datum(key))
    rtype, build = CREATABLE[key]

    def make() -> str:
        resp = http.request(
            "POST",
            f"/{rtype}",
            base="fhir",
            auth="fhir",
            content=json.dumps(build()).encode(),
            headers={"Content-Type": FHIR_JSON, "Accept": FHIR_JSON},
        )
        if resp.status_code not in (200, 201):
            raise CheckError(
                f"data.{key}: the server refused to create a test {rtype} ({resp.describe()} -> {resp.status_code})"
            )
        rid = _created_id(resp, rtype)
        if rid is None:
            raise CheckError(f"data.{key}: {resp.describe()} named no id for the {rtype} it created")
        return rid

    return test_data.get(key, make)
