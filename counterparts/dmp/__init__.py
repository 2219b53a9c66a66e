"""DMP simulator: an XDS.b repository/registry answering Provide and Register (ITI-41), the
metadata update (ITI-57), FindDocuments (ITI-18) and Retrieve Document Set (ITI-43).

``DmpSimulator`` and ``DmpControl`` do not import the engine, so ``homolog demo`` and tests
start the simulator on its own::

    from homolog.counterparts.dmp import DmpSimulator
    with DmpSimulator(cda_material=path_to_testcontenucda) as dmp:
        dmp.url, dmp.ca_file, dmp.control_url
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .control import DmpControl
from .declare import declare_simulator
from .metadata import CLASSIFICATION, IDENTIFIER, LCM_NS, RIM_NS, RS_NS, XDS_NS
from .rules import CONFIDENTIALITY_DMP_SYSTEM, IDNATPS_OID, IDNATST_OID, RegistryError

if TYPE_CHECKING:
    from .simulator import FAILURE, ITI18_ACTION, ITI41_ACTION, ITI43_ACTION, ITI57_ACTION, SUCCESS, DmpSimulator

__all__ = [
    "CLASSIFICATION",
    "CONFIDENTIALITY_DMP_SYSTEM",
    "FAILURE",
    "IDENTIFIER",
    "IDNATPS_OID",
    "IDNATST_OID",
    "ITI18_ACTION",
    "ITI41_ACTION",
    "ITI43_ACTION",
    "ITI57_ACTION",
    "LCM_NS",
    "RIM_NS",
    "RS_NS",
    "SUCCESS",
    "XDS_NS",
    "DmpControl",
    "DmpSimulator",
    "RegistryError",
    "declare_simulator",
]

# The simulator (servers, TLS) loads when first asked for, not with the checks that take the control client.
_LAZY = {
    "FAILURE": "simulator",
    "ITI18_ACTION": "simulator",
    "ITI41_ACTION": "simulator",
    "ITI43_ACTION": "simulator",
    "ITI57_ACTION": "simulator",
    "SUCCESS": "simulator",
    "DmpSimulator": "simulator",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module("." + _LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
