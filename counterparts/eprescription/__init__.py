"""E-prescription service simulator: the national base where a prescriber's software registers
a prescription and gets its unique prescription number (``rules.py`` says what it requires).

``EprescriptionSimulator`` and ``EprescriptionControl`` do not import the engine, so
``homolog demo`` and tests start the simulator on its own::

    from homolog.counterparts.eprescription import EprescriptionSimulator
    with EprescriptionSimulator() as erx:
        erx.url, erx.ca_file, erx.control_url
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .control import ControlError, EprescriptionControl
from .rules import registration_problems

if TYPE_CHECKING:
    from .simulator import SERVICE_PATH, EprescriptionSimulator

__all__ = ["SERVICE_PATH", "ControlError", "EprescriptionControl", "EprescriptionSimulator", "registration_problems"]

# The simulator (servers, TLS) loads when first asked for, not with the checks that take the control client.
_LAZY = {"SERVICE_PATH": "simulator", "EprescriptionSimulator": "simulator"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module("." + _LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
