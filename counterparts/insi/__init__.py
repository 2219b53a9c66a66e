"""INSi teleservice simulator: search by identity traits and verification of an INS.

``InsiSimulator`` and ``InsiControl`` do not import the engine, so ``homolog demo`` and
tests start the simulator on its own::

    from homolog.counterparts.insi import InsiSimulator
    with InsiSimulator() as insi:
        insi.url, insi.ca_file, insi.control_url
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .control import InsiControl
from .declare import declare_simulator
from .directory import DEFAULT_IDENTITIES, NOT_FOUND_EXAMPLE, Identity, Traits, make_identity
from .messages import RECSANS_NS, RESULTAT_NS, SEARCH_ACTION, VERIFY_ACTION, VERIFY_NS

if TYPE_CHECKING:
    from .simulator import InsiSimulator

__all__ = [
    "DEFAULT_IDENTITIES",
    "NOT_FOUND_EXAMPLE",
    "RECSANS_NS",
    "RESULTAT_NS",
    "SEARCH_ACTION",
    "VERIFY_ACTION",
    "VERIFY_NS",
    "Identity",
    "InsiControl",
    "InsiSimulator",
    "Traits",
    "declare_simulator",
    "make_identity",
]

# The simulator (servers, TLS) loads when first asked for, not with the checks that take the control client.
_LAZY = {"InsiSimulator": "simulator"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module("." + _LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
