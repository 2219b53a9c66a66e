"""Pytest fixtures of the telehealth suite: ``patient_idp``.

The patient identity provider (``homolog.counterparts.patient_idp``) is started before the
SUT: by ``homolog run`` when the target declares ``counterparts: {patient_idp: ...}``, by
``homolog demo``, or by a test. The run records it under ``settings.telehealth.patient_idp``.
"""

from __future__ import annotations

import pytest

from homolog import CheckError, Target
from homolog.counterparts.psc import PscControl, PscControlError

__all__ = ["patient_idp"]


@pytest.fixture
def patient_idp(target: Target) -> PscControl:
    """The patient identity provider the target's SUT is configured with (control API client)."""
    declared = target.settings("telehealth").get("patient_idp") or {}
    control_url = declared.get("control_url") if isinstance(declared, dict) else None
    if not control_url:
        raise CheckError(
            "the target declares no settings.telehealth.patient_idp.control_url: declare the patient "
            "identity provider under counterparts: (patient_idp) in the target, or start it before "
            "the SUT and record it (homolog.counterparts.declare)"
        )
    try:
        control = PscControl(str(control_url))
        issuer = control.issuer
    except PscControlError as exc:
        raise CheckError(str(exc)) from exc
    if declared.get("issuer") and declared["issuer"] != issuer:
        raise CheckError(
            f"the SUT is configured with issuer {declared['issuer']}, the provider at {control_url} "
            f"serves {issuer}: they must match"
        )
    if not target.in_scope(issuer):
        raise CheckError(f"the provider {issuer} is not among the target's hosts: declare it as base_urls.patient_idp")
    return control
