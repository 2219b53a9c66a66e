"""What the SOAP counterparts (INSi, DMP) share: TLS, the HTTP servers, the exchange log,
safe envelope parsing and the control client.

Nothing here knows a service: ``server.SoapService`` takes the function that answers one
request and keeps the mechanics (TLS handshake in the request thread, bounded bodies,
deadlines, the JSON control API) in one place.
"""

from .control import ControlClient, ControlError
from .envelope import (
    SOAP12_NS,
    Envelope,
    SoapError,
    fault,
    parse_envelope,
    safe_parser,
    sanitise_envelope,
)
from .log import ExchangeLog
from .server import Reply, Request, SoapService
from .simulator import SoapSimulator
from .tls import ServiceCertificates, make_service_certificates

__all__ = [
    "SOAP12_NS",
    "ControlClient",
    "ControlError",
    "Envelope",
    "ExchangeLog",
    "Reply",
    "Request",
    "ServiceCertificates",
    "SoapError",
    "SoapService",
    "SoapSimulator",
    "fault",
    "make_service_certificates",
    "parse_envelope",
    "safe_parser",
    "sanitise_envelope",
]
