"""Pytest fixtures of the MSSanté suite: ``mss_simulator`` and ``mss_exchange``.

The simulator is a counterpart: the run starts it when the target declares
``counterparts: {mss: ...}``, ``homolog demo`` before the reference DPI, a test before
its SUT (``homolog.counterparts.mss.declare_simulator``). Checks, possibly in another
process, reach it through its control API, found with the engine's ``counterpart``
fixture.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from homolog import CheckError, CounterpartEndpoint, Evidence, HttpClient, SharedState, Target
from homolog.counterparts.mss import MssControl, MssControlError

from .exchange import Exchange, shared_exchange

__all__ = ["mss_exchange", "mss_simulator"]


@pytest.fixture
def mss_simulator(counterpart: Callable[[str], CounterpartEndpoint]) -> MssControl:
    """The MSSanté simulator the target's SUT sends to (control API client)."""
    endpoint = counterpart("mss")
    try:
        control = MssControl(endpoint.control_url)
        info = control.info()
    except MssControlError as exc:
        raise CheckError(str(exc)) from exc
    if endpoint.url and endpoint.url != info.get("smtp"):
        raise CheckError(
            f"the run records the simulator on {endpoint.url}, the one at its control URL"
            f" listens on {info.get('smtp')}: they must match"
        )
    return control


@pytest.fixture
def mss_exchange(
    target: Target, http: HttpClient, mss_simulator: MssControl, evidence: Evidence, shared_state: SharedState
) -> Exchange:
    """The SUT's messages after its trigger (one exchange per run and simulator)."""
    return shared_exchange(target, http, mss_simulator, evidence, shared_state)
