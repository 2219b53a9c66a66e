"""Every identity status change is historised where the target says."""

from __future__ import annotations

import copy

from homolog import CheckError, Evidence, HttpClient, Target, check, fail

from ..settings import load_identity_settings
from ..sut import (
    WRITES_PATIENTS,
    count_history_records,
    create_patient,
    delete_patient,
    history_versions,
    mark_reliability,
    marker,
    qualified_test_patient,
    read_patient,
    rniv_status,
)

__all__ = ["status_change_historised"]

_EXT_RELIABILITY = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"


@check("identity.status.historised", needs=WRITES_PATIENTS)
def status_change_historised(http: HttpClient, target: Target, evidence: Evidence) -> None:
    """The system historises every change of identity status.

    A provisional identity created for the check is validated (PROV -> VALI); the
    target's ``settings.identity.history`` says where to look: the Patient's FHIR
    history must hold both statuses (each version dated by ``meta.lastUpdated``), or a
    new AuditEvent / Provenance must reference the patient after the change.
    """
    settings = load_identity_settings(target)
    sent = qualified_test_patient(settings, family=marker(), rniv="PROV")
    sent.pop("identifier", None)  # a provisional identity has no INS yet
    resp, new_id = create_patient(http, sent)
    if not new_id:
        raise CheckError(f"could not create a provisional test patient: {resp.describe()} answered {resp.status_code}")
    try:
        before = read_patient(http, new_id)
        if rniv_status(before, settings) != "PROV":
            raise CheckError(
                f"the SUT stored the provisional test identity as {rniv_status(before, settings)!r}: cannot decide"
            )
        records_before = count_history_records(http, settings, new_id) if settings.history != "fhir-history" else 0
        changed = copy.deepcopy(before)
        changed.pop("meta", None)  # server-managed (version, tags): a client sends its data
        # An ID document was checked: provisional -> validated (no INS involved).
        changed["extension"] = [
            e for e in changed.get("extension") or [] if not (isinstance(e, dict) and e.get("url") == _EXT_RELIABILITY)
        ]
        mark_reliability(changed, "VALI")
        put = http.request("PUT", f"/Patient/{new_id}", base="fhir", json=changed, auth="fhir")
        if not 200 <= put.status_code < 300:
            raise CheckError(
                f"{put.describe()} refused the status change PROV -> VALI with "
                f"{put.status_code}: cannot observe its history"
            )
        after = read_patient(http, new_id)
        if rniv_status(after, settings) != "VALI":
            raise CheckError(
                f"the status change was accepted but the status reads {rniv_status(after, settings)!r}, not VALI"
            )
        if settings.history == "fhir-history":
            versions = history_versions(http, new_id)
            evidence.attach_json("history-statuses.json", [rniv_status(v, settings) for v in versions])
            statuses = {rniv_status(v, settings) for v in versions}
            if not {"PROV", "VALI"} <= statuses:
                fail(
                    f"Patient/{new_id}/_history holds {len(versions)} version(s) with statuses "
                    f"{sorted(s or '?' for s in statuses)}: the PROV -> VALI change is lost"
                )
            undated = [v for v in versions if not (isinstance(v.get("meta"), dict) and v["meta"].get("lastUpdated"))]
            if undated:
                fail(
                    f"Patient/{new_id}/_history has {len(undated)} version(s) without "
                    "meta.lastUpdated: the date of the status change is lost"
                )
        else:
            records_after = count_history_records(http, settings, new_id)
            if records_after <= records_before:
                fail(
                    f"no new {settings.history} record references Patient/{new_id} after its "
                    f"status changed from PROV to VALI ({records_before} before, "
                    f"{records_after} after)"
                )
    finally:
        delete_patient(http, new_id)
