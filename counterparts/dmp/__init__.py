"""DMP simulator: an XDS.b repository/registry answering Provide and Register (ITI-41).

``DmpSimulator`` and ``DmpControl`` do not import the engine, so ``homolog demo`` and tests
start the simulator on its own::

    from homolog.counterparts.dmp import DmpSimulator
    with DmpSimulator(cda_material=path_to_testcontenucda) as dmp:
        dmp.url, dmp.ca_file, dmp.control_url
"""

from .control import DmpControl
from .declare import declare_dmp
from .metadata import CLASSIFICATION, IDENTIFIER, LCM_NS, RIM_NS, RS_NS, XDS_NS
from .rules import CONFIDENTIALITY_DMP_SYSTEM, IDNATPS_OID, IDNATST_OID, RegistryError
from .simulator import FAILURE, ITI41_ACTION, ITI57_ACTION, SUCCESS, DmpSimulator

__all__ = [
    "CLASSIFICATION",
    "CONFIDENTIALITY_DMP_SYSTEM",
    "FAILURE",
    "IDENTIFIER",
    "IDNATPS_OID",
    "IDNATST_OID",
    "ITI41_ACTION",
    "ITI57_ACTION",
    "LCM_NS",
    "RIM_NS",
    "RS_NS",
    "SUCCESS",
    "XDS_NS",
    "DmpControl",
    "DmpSimulator",
    "RegistryError",
    "declare_dmp",
]
