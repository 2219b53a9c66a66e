"""MSSanté: a simulated operator that receives the SUT's messages over SMTP and judges them.

``MssSimulator`` and ``MssControl`` do not import the engine, so ``homolog demo``,
``homolog run`` (a target's ``counterparts: {mss: ...}``) and tests start it the same way::

    from homolog.counterparts.mss import MssSimulator
    with MssSimulator() as mss:
        mss.url, mss.implicit_tls_url, mss.ca_file, mss.control_url
        cert, key = mss.write_client_certificate(folder)   # for the SUT
        mss.messages()                                      # what arrived, with findings

The checks (``homolog.suites.mss``) take the control client only (``MssControl``), so
the simulator (SMTP server, CA, judge) is imported when first asked for, not when the
checks load.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .control import MssControl, MssControlError
from .declare import declare_simulator
from .findings import ASPECTS, Finding

if TYPE_CHECKING:
    from .simulator import DEFAULT_DOMAIN, MssSimulator

__all__ = [
    "ASPECTS",
    "DEFAULT_DOMAIN",
    "Finding",
    "MssControl",
    "MssControlError",
    "MssSimulator",
    "declare_simulator",
]

_SIMULATOR_NAMES = frozenset({"DEFAULT_DOMAIN", "MssSimulator"})


def __getattr__(name: str) -> Any:
    if name in _SIMULATOR_NAMES:
        return getattr(importlib.import_module(".simulator", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
