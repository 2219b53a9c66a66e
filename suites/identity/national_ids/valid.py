"""Professionals and structures carry valid national identifiers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homolog import CheckError, Evidence, HttpClient, Needs, Target, check, fail

from ..idnat import (
    IDNATPS_OID,
    IDNATST_OID,
    SYSTEM_FINESS,
    SYSTEM_RPPS,
    SYSTEM_SIRENE,
    IdCheck,
    check_finess,
    check_idnatps,
    check_idnatst,
    check_rpps,
    check_siren,
    check_siret,
)
from ..settings import load_identity_settings
from ..sut import body_json

__all__ = ["national_ids_valid"]


def _sirene(value: str, *, test_data: bool = False) -> IdCheck:
    return (check_siret if len(value) == 14 else check_siren)(value, test_data=test_data)


_CHECKERS: dict[str, dict[str, Callable[..., IdCheck]]] = {
    "Practitioner": {f"urn:oid:{IDNATPS_OID}": check_idnatps, SYSTEM_RPPS: check_rpps},
    "Organization": {f"urn:oid:{IDNATST_OID}": check_idnatst, SYSTEM_FINESS: check_finess, SYSTEM_SIRENE: _sirene},
}
_DATA_KEYS = {"Practitioner": "practitioner", "Organization": "organization"}


# The system's own practitioner and organization are what is judged: never data the run makes.
@check("identity.national_ids.valid", needs=Needs(bases=("fhir",), auth=("fhir",), data=tuple(_DATA_KEYS.values())))
def national_ids_valid(http: HttpClient, target: Target, evidence: Evidence) -> None:
    """Practitioners carry a valid idNatPS/RPPS and organisations a valid idNatSt/FINESS/SIRET."""
    settings = load_identity_settings(target)
    problems: list[str] = []
    report: list[dict[str, Any]] = []
    for rtype, key in _DATA_KEYS.items():
        rid = str(target.datum(key))
        resp = http.get(f"/{rtype}/{rid}", base="fhir", auth="fhir")
        res = body_json(resp)
        if resp.status_code != 200 or not isinstance(res, Mapping) or res.get("resourceType") != rtype:
            raise CheckError(f"could not read {rtype}/{rid}: {resp.status_code} for {resp.describe()}")
        checked = 0
        for ident in res.get("identifier") or []:
            if not isinstance(ident, Mapping):
                continue
            checker = _CHECKERS[rtype].get(str(ident.get("system")))
            if checker is None:
                continue
            value = ident.get("value")
            result = checker(value if isinstance(value, str) else "", test_data=settings.test_data)
            checked += 1
            report.append(
                {
                    "resource": f"{rtype}/{rid}",
                    "system": ident.get("system"),
                    "value": value,
                    "kind": result.kind,
                    "errors": result.errors,
                    "warnings": result.warnings,
                }
            )
            problems.extend(f"{rtype}/{rid}: {e}" for e in result.errors)
        if checked == 0:
            problems.append(f"{rtype}/{rid} has no national identifier ({', '.join(_CHECKERS[rtype])})")
    evidence.attach_json("national-ids.json", report)
    if problems:
        fail("; ".join(problems))
