"""Pytest fixtures of the telehealth suite: ``patient_idp``.

The patient identity provider (``homolog.counterparts.patient_idp``) is started before the
SUT: by ``homolog run`` when the target declares ``counterparts: {patient_idp: ...}``, by
``homolog demo``, or by a test. The run records it under ``settings.telehealth.patient_idp``.
"""

from __future__ import annotations

import pytest

from homolog import Target
from homolog.counterparts.psc import PscControl
from homolog.suites.security.psc_login import provider_control

__all__ = ["patient_idp"]


@pytest.fixture
def patient_idp(target: Target) -> PscControl:
    """The patient identity provider the target's SUT is configured with (control API client)."""
    return provider_control(target, "telehealth", "patient_idp")
