"""Pro Santé Connect: an OpenID Connect provider simulator and the checks that use it.

``PscSimulator`` and ``PscControl`` do not import the engine, so ``homolog demo`` and
tests can start the simulator on its own::

    from homolog.suites.security.psc import PscSimulator
    with PscSimulator() as psc:
        psc.issuer, psc.control_url, psc.requests
"""

from .control import PscControl
from .declare import declare_simulator
from .simulator import DEFAULT_PROFESSIONALS, MODES, Professional, PscSimulator

__all__ = [
    "DEFAULT_PROFESSIONALS",
    "MODES",
    "Professional",
    "PscControl",
    "PscSimulator",
    "declare_simulator",
]
