"""Pytest fixtures of the e-prescription suite: ``eprescription`` and ``prescribing``.

The e-prescription simulator is a counterpart: the run starts it when the target declares
``counterparts: {eprescription: ...}``, ``homolog demo`` before the reference system. Checks,
possibly in another process, reach it through its control API, found with the engine's
``counterpart`` fixture.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from homolog import CounterpartEndpoint, Evidence, HttpClient, SharedState, Target
from homolog.counterparts.eprescription import EprescriptionControl
from homolog.suites.soap_counterparts import started_control

from .exchange import Prescribing, shared_prescribing

__all__ = ["eprescription", "prescribing"]


@pytest.fixture
def eprescription(counterpart: Callable[[str], CounterpartEndpoint]) -> EprescriptionControl:
    """The e-prescription service the target's system registers with (control API client)."""
    return started_control(counterpart("eprescription"), EprescriptionControl)


@pytest.fixture
def prescribing(
    target: Target, http: HttpClient, eprescription: EprescriptionControl, evidence: Evidence, shared_state: SharedState
) -> Prescribing:
    """The run's prescription: the trigger's answer, the registrations received, the PDF."""
    return shared_prescribing(target, http, eprescription, evidence, shared_state)
