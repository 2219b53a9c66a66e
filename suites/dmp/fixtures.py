"""Pytest fixtures of the DMP suite: ``dmp`` (the DMP simulator's control client).

The DMP simulator is a counterpart: the run starts it when the target declares
``counterparts: {dmp: ...}``, ``homolog demo`` before the reference DPI. Checks, possibly in
another process, reach it through its control API, found with the engine's ``counterpart``
fixture.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from homolog import CounterpartEndpoint
from homolog.counterparts.dmp import DmpControl
from homolog.suites.soap_counterparts import started_control

__all__ = ["dmp"]


@pytest.fixture
def dmp(counterpart: Callable[[str], CounterpartEndpoint]) -> DmpControl:
    """The DMP simulator the target's system feeds (control API client)."""
    return started_control(counterpart("dmp"), DmpControl)
