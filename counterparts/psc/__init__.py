"""Pro Santé Connect: an OpenID Connect provider simulator and the client of its control API.

Neither imports the engine, so ``homolog demo``, ``homolog run`` (a target's
``counterparts: {psc: ...}``) and tests start it the same way::

    from homolog.counterparts.psc import PscSimulator
    with PscSimulator() as psc:
        psc.issuer, psc.control_url, psc.requests

The checks that judge what the SUT sends live in ``homolog.suites.security.psc``.
"""

from .control import PscControl, PscControlError
from .declare import declare_simulator
from .simulator import DEFAULT_PROFESSIONALS, MODES, TICKET_COOKIE, Professional, PscSimulator

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
