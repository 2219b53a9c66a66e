"""MSSanté: a simulated operator that receives the SUT's messages over SMTP and judges them.

``MssSimulator`` and ``MssControl`` do not import the engine, so ``homolog demo`` and
tests can start the simulator on its own::

    from homolog.counterparts.mss import MssSimulator
    with MssSimulator() as mss:
        mss.url, mss.implicit_tls_url, mss.ca_file, mss.control_url
        cert, key = mss.write_client_certificate(folder)   # for the SUT
        mss.messages()                                      # what arrived, with findings
"""

from .control import MssControl, MssControlError
from .declare import declare_simulator
from .findings import ASPECTS, Finding
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
