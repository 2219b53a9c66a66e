"""A CA generated at start and a server certificate for 127.0.0.1, as the national services
present one: the system under test must trust the CA it is given (``ca_file``), exactly as
it is configured with the real service's chain.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["TLS12_CIPHERS", "ServiceCertificates", "make_service_certificates", "server_context"]

# ECDHE with AES-GCM or CBC-SHA2 for TLS 1.2 (the suites the national services publish);
# TLS 1.3 suites are OpenSSL's defaults.
TLS12_CIPHERS = ":".join(
    [
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES256-SHA384",
        "ECDHE-RSA-AES128-SHA256",
    ]
)

_KEY: list[rsa.RSAPrivateKey] = []
_KEY_LOCK = threading.Lock()


def _leaf_key() -> rsa.RSAPrivateKey:
    # An RSA-2048 key costs up to half a second: one per process, certificates stay new.
    with _KEY_LOCK:
        if not _KEY:
            _KEY.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
        return _KEY[0]


@dataclass(frozen=True)
class ServiceCertificates:
    """Paths of the CA certificate, the server chain (leaf + CA) and the server key."""

    ca_file: Path
    cert_file: Path
    key_file: Path


def _name(cn: str, service: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"homolog {service} simulator (synthetic)"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def make_service_certificates(workdir: Path, service: str) -> ServiceCertificates:
    """Write ``<service>-ca.pem``, ``<service>.pem`` and ``<service>-key.pem`` in ``workdir``."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"homolog {service} test CA", service)
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
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
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = _leaf_key()
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost", service))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=90))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    workdir.mkdir(parents=True, exist_ok=True)
    certs = ServiceCertificates(
        ca_file=workdir / f"{service}-ca.pem",
        cert_file=workdir / f"{service}.pem",
        key_file=workdir / f"{service}-key.pem",
    )
    pem = serialization.Encoding.PEM
    certs.ca_file.write_bytes(ca.public_bytes(pem))
    certs.cert_file.write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    certs.key_file.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    certs.key_file.chmod(0o600)
    return certs


def server_context(certs: ServiceCertificates) -> ssl.SSLContext:
    """TLS >= 1.2 server context (no client certificate is asked: the simulators do not
    authenticate the system under test, they record what it sends)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certs.cert_file, certs.key_file)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(TLS12_CIPHERS)
    ctx.options |= ssl.OP_NO_COMPRESSION
    return ctx
