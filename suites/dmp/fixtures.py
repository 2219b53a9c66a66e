"""Pytest fixtures of the DMP suite: ``dmp`` (the DMP simulator's control client).

The DMP simulator is a counterpart: the run starts it when the target declares
``counterparts: {dmp: ...}``, ``homolog demo`` before the reference DPI. Checks, possibly in
another process, reach it through its control API, found with the engine's ``counterpart``
fixture.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from homolog import CheckError, CounterpartEndpoint
from homolog.counterparts.dmp import DmpControl
from homolog.counterparts.soap import ControlError

from ._support import dmp_control

__all__ = ["dmp"]


@pytest.fixture
def dmp(counterpart: Callable[[str], CounterpartEndpoint]) -> DmpControl:
    """The DMP simulator the target's system feeds (control API client)."""
    endpoint = counterpart("dmp")
    control = dmp_control(endpoint)
    try:
        served = control.info().get("url")
    except ControlError as exc:
        raise CheckError(str(exc)) from None
    if endpoint.url and served and endpoint.url != served:
        raise CheckError(
            f"the run records the DMP simulator on {endpoint.url}, the one at its control URL serves {served}:"
            " they must match"
        )
    return control
