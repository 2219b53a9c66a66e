"""Facts about a server certificate, read with `cryptography` (no engine import)."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

__all__ = ["CertInfo", "hostname_matches", "read_cert"]


@dataclass(frozen=True)
class CertInfo:
    """What the checks need from a leaf certificate."""

    subject: str
    not_before: dt.datetime
    not_after: dt.datetime
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    key_type: str
    key_bits: int

    def days_left(self, now: dt.datetime | None = None) -> float:
        """Days until ``not_after`` (negative once expired)."""
        now = now or dt.datetime.now(dt.UTC)
        return (self.not_after - now).total_seconds() / 86400


def read_cert(der: bytes) -> CertInfo:
    """Parse a DER certificate; raises ValueError when it is not one."""
    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = tuple(san.get_values_for_type(x509.DNSName))
        ips = tuple(str(i) for i in san.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        dns, ips = (), ()
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        ktype, bits = "RSA", key.key_size
    elif isinstance(key, ec.EllipticCurvePublicKey):
        ktype, bits = "EC", key.curve.key_size
    elif isinstance(key, dsa.DSAPublicKey):
        ktype, bits = "DSA", key.key_size
    elif isinstance(key, ed25519.Ed25519PublicKey):
        ktype, bits = "Ed25519", 256
    elif isinstance(key, ed448.Ed448PublicKey):
        ktype, bits = "Ed448", 456
    else:
        ktype, bits = type(key).__name__, 0
    return CertInfo(
        subject=cert.subject.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        dns_names=dns,
        ip_addresses=ips,
        key_type=ktype,
        key_bits=bits,
    )


def hostname_matches(info: CertInfo, host: str) -> bool:
    """RFC 6125 matching of ``host`` against the SAN (IP or DNS, one left-most wildcard)."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        return any(ipaddress.ip_address(a) == ip for a in info.ip_addresses)
    host = host.lower().rstrip(".")
    for name in info.dns_names:
        name = name.lower().rstrip(".")
        if name == host:
            return True
        # A wildcard covers exactly one label, never a bare public suffix.
        if name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:] and name.count(".") >= 2:
            return True
    return False
