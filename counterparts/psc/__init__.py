"""Pro Santé Connect: an OpenID Connect provider simulator and the client of its control API.

Neither imports the engine, so ``homolog demo``, ``homolog run`` (a target's
``counterparts: {psc: ...}``) and tests start it the same way::

    from homolog.counterparts.psc import PscSimulator
    with PscSimulator() as psc:
        psc.issuer, psc.control_url, psc.requests

The checks that judge what the SUT sends live in ``homolog.suites.security.psc``; they
take the control client only (``PscControl``), so the simulator (an HTTP server with
its keys) is imported when first asked for, not when the checks load.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .control import TICKET_COOKIE, PscControl, PscControlError
from .declare import declare_simulator

if TYPE_CHECKING:
    from .simulator import DEFAULT_PROFESSIONALS, MODES, Professional, PscSimulator

__all__ = [
    "DEFAULT_PROFESSIONALS",
    "MODES",
    "TICKET_COOKIE",
    "Professional",
    "PscControl",
    "PscControlError",
    "PscSimulator",
    "declare_simulator",
]

_SIMULATOR_NAMES = frozenset({"DEFAULT_PROFESSIONALS", "MODES", "Professional", "PscSimulator"})


def __getattr__(name: str) -> Any:
    if name in _SIMULATOR_NAMES:
        return getattr(importlib.import_module(".simulator", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
