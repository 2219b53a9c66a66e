"""Telehealth: what the ANS certification of telemonitoring digital medical devices adds.

Checks of a telemonitoring device ("DMN de télésurveillance") beyond the national socle
(INS, Pro Santé Connect, security, which other suites check):

- ``telehealth.patient.*``: the patient logs in through an identity provider at the eIDAS
  level the referential asks, and is refused below it. The provider is the counterpart
  ``patient_idp`` (``homolog.counterparts.patient_idp``); the run adds
  ``settings.telehealth.patient_idp.{issuer, control_url}`` and ``base_urls.patient_idp``.
- ``telehealth.portability.*``: the patient's export is a FHIR Bundle whose resources
  conform to FR Core (validated by the FHIR suite's validator over ``settings.fhir``
  packages) and holds every measurement the patient space shows.
- ``telehealth.alerts.*``: acknowledging an alert leaves a trace of who and when.

Target: pages ``patient_login`` (locator ``start``), ``patient_space`` (``patient_name``,
``measurement`` rows with ``measurement_when`` and ``measurement_value`` inside each,
``export``), ``alerts`` (``alert`` rows with ``alert_id`` and ``ack`` inside each), the
professional's ``auth.web``, and settings ``telehealth``:

    telehealth:
      alert_audit: {entity: "Flag/{alert}"}   # the AuditEvent entity an acknowledgement names
      date_format: "%d/%m/%Y %H:%M"            # when the UI shows dates without a machine-readable datetime
"""

from __future__ import annotations

from homolog import hookimpl


@hookimpl
def homolog_fixture_modules() -> list[str]:
    """``patient_idp`` (the patient identity provider's control client)."""
    return ["homolog.suites.telehealth.fixtures"]


@hookimpl
def homolog_settings_schema() -> dict[str, object]:
    """``settings.telehealth``."""
    return {
        "telehealth": {
            "type": "object",
            "properties": {
                "patient_idp": {
                    "type": "object",
                    "properties": {"issuer": {"type": "string"}, "control_url": {"type": "string"}},
                },
                "alert_audit": {
                    "type": "object",
                    "properties": {"entity": {"type": "string"}},
                    "additionalProperties": False,
                },
                "date_format": {"type": "string"},
            },
            "additionalProperties": False,
        }
    }
