"""Pytest fixtures of the identity suite: ``insi`` (the INSi simulator's control client).

The INSi simulator is a counterpart: the run starts it when the target declares
``counterparts: {insi: ...}``, ``homolog demo`` before the reference DPI. Checks, possibly
in another process, reach it through its control API, found with the engine's
``counterpart`` fixture.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from homolog import CheckError, CounterpartEndpoint
from homolog.counterparts.insi import InsiControl
from homolog.counterparts.soap import ControlError

from .insi_service import insi_control

__all__ = ["insi"]


@pytest.fixture
def insi(counterpart: Callable[[str], CounterpartEndpoint]) -> InsiControl:
    """The INSi simulator the target's system calls (control API client)."""
    endpoint = counterpart("insi")
    control = insi_control(endpoint)
    try:
        served = control.info().get("url")
    except ControlError as exc:
        raise CheckError(str(exc)) from None
    if endpoint.url and served and endpoint.url != served:
        raise CheckError(
            f"the run records the INSi simulator on {endpoint.url}, the one at its control URL serves {served}:"
            " they must match"
        )
    return control
