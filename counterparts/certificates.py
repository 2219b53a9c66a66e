"""Throw-away certificate authorities for the simulators' TLS.

A simulator stands in for a national service whose certificates come from a national
authority (IGC-Santé): here a CA generated at start (EC P-256) issues RSA-2048 leaves,
since the TLS 1.2 suites the services publish are all RSA-authenticated. The system under
test is given the CA to trust, exactly as it is configured with the real service's chain.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["LOOPBACK_NAMES", "CertificateAuthority", "IssuedCertificate", "synthetic_name", "write_server_files"]

#: The names a simulator's server certificate holds: it listens on 127.0.0.1 only.
LOOPBACK_NAMES: tuple[x509.GeneralName, ...] = (
    x509.DNSName("localhost"),
    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
)

_RSA_KEYS: dict[str, rsa.RSAPrivateKey] = {}
_KEY_LOCK = threading.Lock()


def _rsa_key(role: str) -> rsa.RSAPrivateKey:
    # One RSA-2048 key per process and role (server, client): generating one costs up to
    # half a second on a loaded machine, and the certificates are new each time anyway.
    with _KEY_LOCK:
        if role not in _RSA_KEYS:
            _RSA_KEYS[role] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return _RSA_KEYS[role]


def synthetic_name(organisation: str, common_name: str, *, unit: str | None = None) -> x509.Name:
    """A French subject name: C=FR, O=``organisation``, [OU=``unit``,] CN=``common_name``."""
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
    ]
    if unit is not None:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate and its private key, PEM-encoded (the chain holds the leaf then the CA)."""

    cert_pem: bytes
    key_pem: bytes
    chain_pem: bytes
    subject: str
    serial: int


class CertificateAuthority:
    """A CA (EC P-256, valid ``days`` from five minutes ago) issuing RSA-2048 leaves."""

    def __init__(self, name: x509.Name, *, days: int = 365) -> None:
        now = dt.datetime.now(dt.UTC)
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._name = name
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self._key.public_key()), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        self.pem = self.certificate.public_bytes(serialization.Encoding.PEM)

    def issue(
        self, subject: x509.Name, *, server: bool, sans: Sequence[x509.GeneralName], days: int
    ) -> IssuedCertificate:
        """A leaf for TLS server (or client) authentication, valid ``days`` from five minutes ago."""
        now = dt.datetime.now(dt.UTC)
        key = _rsa_key("server" if server else "client")
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self._name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=days))
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
        cert = (
            builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        cert_pem = cert.public_bytes(serialization.Encoding.PEM)
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return IssuedCertificate(
            cert_pem=cert_pem,
            key_pem=key_pem,
            chain_pem=cert_pem + self.pem,
            subject=subject.rfc4514_string(),
            serial=cert.serial_number,
        )


def write_server_files(
    ca: CertificateAuthority, leaf: IssuedCertificate, *, ca_file: Path, cert_file: Path, key_file: Path
) -> None:
    """Write the CA certificate, the chain (leaf then CA, so that clients get the full path)
    and the private key (mode 600) as PEM files."""
    ca_file.write_bytes(ca.pem)
    cert_file.write_bytes(leaf.chain_pem)
    key_file.write_bytes(leaf.key_pem)
    key_file.chmod(0o600)
