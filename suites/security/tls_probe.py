"""TLS handshakes with the standard library, one handshake per question.

This module does not import the engine: it answers "does the server accept this
protocol version / this cipher suite?" and "which certificate does it present?".
Anything that prevents an answer (closed port, timeout, a client that cannot offer
what was asked) raises `ProbeError`; the checks turn it into an `error` verdict.
"""

from __future__ import annotations

import socket
import ssl
import warnings
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = [
    "TLS12_SUITES_SEGUR",
    "VERSIONS",
    "CipherSuite",
    "HandshakeResult",
    "ProbeError",
    "handshake",
    "host_port",
    "offered_tls12_suites",
    "probe_suites",
]

#: TLS 1.2 cipher suites allowed by MSS/CONF.03 (IANA codes).
TLS12_SUITES_SEGUR: tuple[int, ...] = (0xC030, 0xC02F, 0xC028, 0xC027, 0x009F, 0x009E)

#: Names used in parameters and messages -> stdlib version constants.
VERSIONS: dict[str, ssl.TLSVersion] = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}

# OpenSSL reasons meaning the *client* could not build a ClientHello for the request:
# nothing was asked of the server, so nothing can be concluded about it.
_CLIENT_SIDE_REASONS = {"NO_PROTOCOLS_AVAILABLE", "NO_CIPHERS_AVAILABLE", "NO_CIPHER_MATCH"}

# Key exchanges that need a pre-shared key or SRP verifier the harness does not have.
_UNPROBEABLE_KEA = {"kx-psk", "kx-ecdhe-psk", "kx-dhe-psk", "kx-rsa-psk", "kx-srp"}


class ProbeError(Exception):
    """The probe could not decide (connection refused, timeout, client limitation)."""


@dataclass(frozen=True)
class CipherSuite:
    """A TLS 1.2 (or older) cipher suite as OpenSSL names it, with its IANA code."""

    name: str
    code: int

    @property
    def hex(self) -> str:
        """The IANA code written as in specifications, e.g. ``0xC02F``."""
        return f"0x{self.code:04X}"


@dataclass(frozen=True)
class HandshakeResult:
    """Outcome of one handshake that reached the server."""

    accepted: bool
    version: str | None = None
    cipher: str | None = None
    reason: str = ""
    cert_der: bytes | None = None
    verify_error: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def host_port(base_url: str) -> tuple[str, int]:
    """Host and port of an ``https://`` base URL (443 when the port is implicit)."""
    parts = urlsplit(base_url)
    if parts.scheme != "https" or not parts.hostname:
        raise ProbeError(f"not an https URL: {base_url!r}")
    return parts.hostname, parts.port or 443


def _context(
    *,
    version: ssl.TLSVersion | None,
    ciphers: str | None,
    cafile: str | None,
    check_hostname: bool,
) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = check_hostname
    if cafile is None:
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx.verify_mode = ssl.CERT_REQUIRED
        if cafile == "system":
            ctx.load_default_certs()
        else:
            ctx.load_verify_locations(cafile=cafile)
    if version is not None:
        # OpenSSL 3 refuses TLS 1.0/1.1 at security level 1+: lower it so the
        # question reaches the server instead of being answered by our own library.
        with warnings.catch_warnings():
            # Asking for TLS 1.0/1.1 is the point of the probe, not a mistake.
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = version
            ctx.maximum_version = version
    ctx.set_ciphers(ciphers or "DEFAULT:@SECLEVEL=0")
    return ctx


def handshake(
    host: str,
    port: int,
    *,
    version: ssl.TLSVersion | None = None,
    ciphers: str | None = None,
    cafile: str | None = None,
    check_hostname: bool = False,
    server_hostname: str | None = None,
    timeout: float = 5.0,
) -> HandshakeResult:
    """Run one TLS handshake and say whether the server accepted it.

    ``cafile`` None: no verification (the question is the protocol, not trust);
    ``"system"``: the default trust store; otherwise a PEM file. A certificate that
    does not verify gives ``accepted=False`` with ``verify_error`` set.
    Raises `ProbeError` when the TCP connection fails, on timeout, or when the
    client cannot offer what was asked.
    """
    try:
        ctx = _context(version=version, ciphers=ciphers, cafile=cafile, check_hostname=check_hostname)
    except ssl.SSLError as exc:
        raise ProbeError(f"the local TLS library cannot offer this: {exc}") from exc
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except TimeoutError as exc:
        raise ProbeError(f"TCP connection to {host}:{port} timed out after {timeout}s") from exc
    except OSError as exc:
        raise ProbeError(f"cannot connect to {host}:{port}: {exc.strerror or exc}") from exc
    try:
        sock.settimeout(timeout)
        try:
            with ctx.wrap_socket(sock, server_hostname=server_hostname or host) as tls:
                cipher = tls.cipher()
                return HandshakeResult(
                    accepted=True,
                    version=tls.version(),
                    cipher=cipher[0] if cipher else None,
                    cert_der=tls.getpeercert(binary_form=True),
                )
        except ssl.SSLCertVerificationError as exc:
            return HandshakeResult(accepted=False, reason=str(exc), verify_error=exc.verify_message or str(exc))
        except ssl.SSLError as exc:
            if exc.reason in _CLIENT_SIDE_REASONS:
                raise ProbeError(f"the local TLS library cannot offer this: {exc}") from exc
            return HandshakeResult(accepted=False, reason=exc.reason or str(exc))
        except TimeoutError as exc:
            raise ProbeError(f"TLS handshake with {host}:{port} timed out after {timeout}s") from exc
        except (ConnectionResetError, BrokenPipeError) as exc:
            # The server hung up on our ClientHello: that is how many servers refuse.
            return HandshakeResult(accepted=False, reason=f"connection closed: {exc}")
        except OSError as exc:
            raise ProbeError(f"TLS handshake with {host}:{port} failed: {exc}") from exc
    finally:
        sock.close()


def offered_tls12_suites() -> list[CipherSuite]:
    """Every TLS ≤ 1.2 cipher suite the local OpenSSL can offer (PSK/SRP excluded)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.set_ciphers("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    suites = []
    for c in ctx.get_ciphers():
        if c["protocol"] == "TLSv1.3" or c.get("kea") in _UNPROBEABLE_KEA:
            continue
        suites.append(CipherSuite(name=c["name"], code=c["id"] & 0xFFFF))
    return suites


def probe_suites(
    host: str, port: int, suites: list[CipherSuite], *, timeout: float = 5.0
) -> tuple[list[CipherSuite], list[CipherSuite]]:
    """Offer each suite alone over TLS 1.2; return (accepted, not probeable locally)."""
    accepted: list[CipherSuite] = []
    skipped: list[CipherSuite] = []
    for suite in suites:
        try:
            res = handshake(
                host,
                port,
                version=ssl.TLSVersion.TLSv1_2,
                ciphers=f"{suite.name}:@SECLEVEL=0",
                timeout=timeout,
            )
        except ProbeError as exc:
            if "cannot offer" in str(exc):
                skipped.append(suite)
                continue
            raise
        if res.accepted:
            accepted.append(suite)
    return accepted, skipped
