"""What the SOAP counterparts (INSi, DMP) share: TLS, the HTTP servers, the exchange log,
safe envelope parsing and the control client.

Nothing here knows a service: ``server.SoapService`` takes the function that answers one
request and keeps the mechanics (TLS handshake in the request thread, bounded bodies,
deadlines, the JSON control API) in one place.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
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

# Servers and TLS load when a simulator starts, not with the checks that take a control client.
_LAZY = {
    "Reply": "server",
    "Request": "server",
    "SoapService": "server",
    "SoapSimulator": "simulator",
    "ServiceCertificates": "tls",
    "make_service_certificates": "tls",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module("." + _LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
