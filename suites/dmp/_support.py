"""What the DMP checks share: settings, the simulator's control client, validating a
document through the UI, and finding the submission that carried it.

The DMP simulator is a counterpart (``homolog.counterparts.dmp``): a target declares it
under ``counterparts: {dmp: ...}``, the run starts it, and the checks reach it through the
``counterpart("dmp")`` fixture (the ``dmp`` fixture of ``fixtures.py``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from homolog import CheckError, CheckFailed, CounterpartEndpoint, Evidence, HttpClient, Target
from homolog.counterparts.dmp import DmpControl
from homolog.counterparts.soap import ControlError
from homolog.suites.soap_counterparts import control_client, service_settings, wait_for_exchanges

if TYPE_CHECKING:
    from homolog.suites.ui.session import UiSession

__all__ = [
    "Attempt",
    "DmpSettings",
    "Validated",
    "attach_submission",
    "carries",
    "dmp_control",
    "dmp_settings",
    "errors_text",
    "ins_of",
    "read_patient",
    "submissions_for",
    "unreadable_since",
    "validate_and_watch",
    "validate_document",
]

_TIMEOUT_MS = 15_000


class DmpSettings(BaseModel):
    """``settings.dmp`` of the target.

    ``send_delay_seconds``: how long after validation the system may take to send the
    document (a check waits that long before concluding nothing was sent).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    send_delay_seconds: float = Field(default=10.0, ge=0, le=300)


def dmp_settings(target: Target) -> DmpSettings:
    """The validated ``settings.dmp``; a bad value is a CheckError naming it."""
    return service_settings(target, "dmp", DmpSettings)


def dmp_control(endpoint: CounterpartEndpoint) -> DmpControl:
    """The control client of the DMP simulator the run started (``counterpart("dmp")``)."""
    return control_client(endpoint, DmpControl)


@dataclass(frozen=True)
class Validated:
    """A document validated through the UI: its id and what the page says of the DMP."""

    unique_id: str
    dmp_status: str


def validate_document(
    ui: UiSession, patient_id: str, *, hidden_from_patient: bool = False, patient_objection: bool = False
) -> Validated:
    """Write a document for the patient in the UI, set the DMP choices, validate it.

    A session that lapses between the form's opening and its validation (the validation
    lands on the login page) is logged in again and the form filled once more
    (`UiSession.in_session`): the system made no document of a submission it refused."""
    choices = {
        "patient_informed": True,
        "patient_objection": patient_objection,
        "hidden_from_patient": hidden_from_patient,
    }

    def fill_and_validate() -> Validated:
        ui.goto("document_new", patient=patient_id)
        for name, wanted in choices.items():
            box = ui.locator("document_new", name)
            if not box.count():
                raise CheckError(
                    f"pages.document_new shows no {name!r} control ({ui.target.page('document_new').locator(name)})"
                )
            box.first.set_checked(wanted, timeout=_TIMEOUT_MS)
        try:
            with ui.page.expect_navigation(wait_until="load", timeout=_TIMEOUT_MS):
                ui.locator("document_new", "validate").first.click(timeout=_TIMEOUT_MS)
        except Exception as exc:
            raise CheckError(f"validating the document in the UI did not complete: {exc}") from exc
        unique = ui.locator("document", "unique_id")
        if not unique.count():
            ui.screenshot("after-validation")
            raise CheckError("after validation the page shows no document id (pages.document.locators.unique_id)")
        unique_id = unique.first.inner_text(timeout=_TIMEOUT_MS).strip()
        status = ui.locator("document", "dmp_status")
        dmp_status = status.first.inner_text(timeout=_TIMEOUT_MS).strip() if status.count() else ""
        if not unique_id:
            raise CheckError("the validated document's id is empty on the page")
        return Validated(unique_id, dmp_status)

    ui.login(landing=False)
    return ui.in_session(fill_and_validate, what="validating a document")


def carries(record: Mapping[str, Any], unique_id: str) -> bool:
    """Whether an exchange record carries the document ``unique_id``."""
    return any(str(d.get("unique_id") or "").upper() == unique_id.upper() for d in record.get("documents") or [])


def submissions_for(dmp: DmpControl, since: int, unique_id: str, *, wait: float) -> list[dict[str, Any]]:
    """ITI-41 exchanges after ``since`` carrying ``unique_id`` (waits up to ``wait`` seconds)."""
    return wait_for_exchanges(
        dmp, since, lambda r: r.get("operation") == "provide_and_register" and carries(r, unique_id), wait=wait
    )


def unreadable_since(dmp: DmpControl, since: int) -> list[str]:
    """Why the messages the simulator could not read (after ``since``) were refused."""
    try:
        records = dmp.exchanges(since)
    except ControlError:
        return []
    return ["; ".join(r.get("problems") or []) for r in records if r.get("outcome") in ("fault", "rejected")]


def attach_submission(evidence: Evidence, dmp: DmpControl, record: dict[str, Any]) -> None:
    """Keep the exchange (sanitised envelope included), the envelope and the documents."""
    evidence.attach_json("dmp-submission.json", record)
    if record.get("envelope"):
        evidence.attach_text("dmp-envelope.xml", str(record["envelope"]), media_type="application/xml")
    for n, _doc in enumerate(record.get("documents") or []):
        data = dmp.document(record, n)
        if data is not None:
            evidence.attach_bytes(f"dmp-document-{n}.xml", data, media_type="application/xml")


def errors_text(record: Mapping[str, Any]) -> str:
    """The registry errors of a submission, one line."""
    return "; ".join(f"{e.get('code')}: {e.get('context')}" for e in record.get("errors") or []) or json.dumps(
        record.get("problems") or []
    )


_INS_OIDS = ("1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11")


def ins_of(patient: Any) -> tuple[str, str] | None:
    """(OID, INS) of a FHIR Patient's official INS identifier, if it exposes one."""
    for ident in patient.get("identifier") or [] if isinstance(patient, dict) else []:
        system = str(ident.get("system") or "") if isinstance(ident, dict) else ""
        oid = system.removeprefix("urn:oid:")
        if oid in _INS_OIDS and isinstance(ident.get("value"), str):
            return oid, ident["value"]
    return None


def read_patient(http: HttpClient, patient_id: str) -> dict[str, Any]:
    """The FHIR Patient ``patient_id``; CheckError when it cannot be read as one."""
    resp = http.get(f"/Patient/{patient_id}", base="fhir", auth="fhir")
    try:
        body = resp.json()
    except (ValueError, CheckFailed):  # the engine's Response.json raises CheckFailed
        body = None
    if resp.status_code != 200 or not isinstance(body, dict) or body.get("resourceType") != "Patient":
        raise CheckError(f"could not read Patient/{patient_id}: {resp.status_code} for {resp.describe()}")
    return body


@dataclass(frozen=True)
class Attempt:
    """A document validated through the UI and the submissions that carried it."""

    dmp: DmpControl
    settings: DmpSettings
    patient_id: str
    document: Validated
    submissions: list[dict[str, Any]]
    since: int


def validate_and_watch(
    ui: UiSession,
    dmp: DmpControl,
    target: Target,
    *,
    patient: str,
    hidden_from_patient: bool = False,
    patient_objection: bool = False,
) -> Attempt:
    """Validate a new document for ``data.<patient>`` and collect the submissions carrying it
    (waiting up to ``settings.dmp.send_delay_seconds``)."""
    settings = dmp_settings(target)
    patient_id = str(target.datum(patient))
    since = dmp.last_seq()
    doc = validate_document(
        ui, patient_id, hidden_from_patient=hidden_from_patient, patient_objection=patient_objection
    )
    found = submissions_for(dmp, since, doc.unique_id, wait=settings.send_delay_seconds)
    return Attempt(dmp, settings, patient_id, doc, found, since)
