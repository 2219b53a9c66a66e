"""The simulator's certificate authority: it stands in for IGC-Santé.

An MSSanté operator authenticates the software of a health organisation by its
organisation certificate (mutual TLS) and presents a server certificate of the same
authority. Here one CA, generated at start, issues both: the server certificate of the
simulator (127.0.0.1 / localhost) and the client certificate handed to the SUT.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import threading
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["CertificateAuthority", "IssuedCertificate"]

_RSA_KEYS: dict[str, rsa.RSAPrivateKey] = {}
_KEY_LOCK = threading.Lock()


def _rsa_key(role: str) -> rsa.RSAPrivateKey:
    # One RSA-2048 key per process and role (server, client): generating one costs up to
    # half a second on a loaded machine, and the certificates are new each time anyway.
    with _KEY_LOCK:
        if role not in _RSA_KEYS:
            _RSA_KEYS[role] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return _RSA_KEYS[role]


def _pem_key(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate and its private key, PEM-encoded (the chain holds the leaf then the CA)."""

    cert_pem: bytes
    key_pem: bytes
    chain_pem: bytes
    subject: str
    serial: int


class CertificateAuthority:
    """A throw-away CA (EC P-256) issuing RSA-2048 leaves for the MSSanté cipher suites."""

    def __init__(self, name: str = "homolog MSSanté test CA (IGC-Santé stand-in)") -> None:
        now = dt.datetime.now(dt.UTC)
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "homolog (synthetic)"),
                x509.NameAttribute(NameOID.COMMON_NAME, name),
            ]
        )
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(self._name)
            .issuer_name(self._name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=365))
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

    def _leaf(self, subject: x509.Name, *, server: bool, sans: list[x509.GeneralName]) -> IssuedCertificate:
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
            .not_valid_after(now + dt.timedelta(days=180))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False)
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = builder.sign(self._key, hashes.SHA256())
        cert_pem = cert.public_bytes(serialization.Encoding.PEM)
        return IssuedCertificate(
            cert_pem=cert_pem,
            key_pem=_pem_key(key),
            chain_pem=cert_pem + self.pem,
            subject=subject.rfc4514_string(),
            serial=cert.serial_number,
        )

    def server_certificate(self) -> IssuedCertificate:
        """The simulator's own certificate, for 127.0.0.1 and localhost."""
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "homolog MSSanté simulator (synthetic)"),
                x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
            ]
        )
        sans: list[x509.GeneralName] = [
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        ]
        return self._leaf(name, server=True, sans=sans)

    def client_certificate(self, mailbox: str, *, organisation: str, structure_id: str) -> IssuedCertificate:
        """An organisation certificate for the SUT's application mailbox.

        Shaped like an IGC-Santé organisation certificate: the structure's name in O,
        its national identifier (idNatSt) in OU, the mailbox as the common name.
        """
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, structure_id),
                x509.NameAttribute(NameOID.COMMON_NAME, mailbox),
            ]
        )
        return self._leaf(name, server=False, sans=[x509.RFC822Name(mailbox)])
