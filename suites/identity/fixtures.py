"""Pytest fixtures of the identity suite: ``insi`` (the INSi simulator's control client).

The INSi simulator is a counterpart: the run starts it when the target declares
``counterparts: {insi: ...}``, ``homolog demo`` before the reference DPI. Checks, possibly
in another process, reach it through its control API, found with the engine's
``counterpart`` fixture.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from homolog import CounterpartEndpoint
from homolog.counterparts.insi import InsiControl
from homolog.suites.soap_counterparts import started_control

__all__ = ["insi"]


@pytest.fixture
def insi(counterpart: Callable[[str], CounterpartEndpoint]) -> InsiControl:
    """The INSi simulator the target's system calls (control API client)."""
    return started_control(counterpart("insi"), InsiControl)
