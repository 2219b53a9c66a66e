"""Pytest fixtures of the MSSanté suite: ``mss_simulator`` and ``mss_exchange``.

The simulator is started by whoever starts the SUT (``homolog demo``, a test), before
the SUT, and recorded in the target under ``settings.mss.simulator`` (see
``homolog.counterparts.mss.declare_simulator``); checks, possibly in another process,
reach it through its control API.
"""

from __future__ import annotations

import pytest

from homolog import CheckError, Evidence, HttpClient, Target
from homolog.counterparts.mss import MssControl, MssControlError

from .exchange import Exchange, shared_exchange
from .settings import load_mss_settings

__all__ = ["mss_exchange", "mss_simulator"]


@pytest.fixture
def mss_simulator(target: Target) -> MssControl:
    """The MSSanté simulator the target's SUT sends to (control API client)."""
    sim = load_mss_settings(target).simulator
    if sim is None:
        raise CheckError(
            "the target declares no settings.mss.simulator.control_url: start the MSSanté"
            " simulator before the SUT and record it in the target (declare_simulator)"
        )
    try:
        control = MssControl(sim.control_url)
        info = control.info()
    except MssControlError as exc:
        raise CheckError(str(exc)) from exc
    if sim.smtp and sim.smtp != info.get("smtp"):
        raise CheckError(
            f"the target says the simulator listens on {sim.smtp}, the one at {sim.control_url}"
            f" listens on {info.get('smtp')}: they must match"
        )
    return control


@pytest.fixture
def mss_exchange(target: Target, http: HttpClient, mss_simulator: MssControl, evidence: Evidence) -> Exchange:
    """The SUT's messages after its trigger (one exchange per process and simulator)."""
    return shared_exchange(target, http, mss_simulator, evidence)
