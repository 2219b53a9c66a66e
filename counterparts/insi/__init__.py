"""INSi teleservice simulator: search by identity traits and verification of an INS.

``InsiSimulator`` and ``InsiControl`` do not import the engine, so ``homolog demo`` and
tests start the simulator on its own::

    from homolog.counterparts.insi import InsiSimulator
    with InsiSimulator() as insi:
        insi.url, insi.ca_file, insi.control_url
"""

from .control import InsiControl
from .declare import declare_insi
from .directory import DEFAULT_IDENTITIES, NOT_FOUND_EXAMPLE, Identity, Traits, make_identity
from .messages import RECSANS_NS, RESULTAT_NS, SEARCH_ACTION, VERIFY_ACTION, VERIFY_NS
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
    "declare_insi",
    "make_identity",
]
