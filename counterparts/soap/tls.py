"""A CA generated at start and a server certificate for 127.0.0.1, as the national services
present one: the system under test must trust the CA it is given (``ca_file``), exactly as
it is configured with the real service's chain.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

from ..certificates import LOOPBACK_NAMES, CertificateAuthority, synthetic_name, write_server_files

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


@dataclass(frozen=True)
class ServiceCertificates:
    """Paths of the CA certificate, the server chain (leaf + CA) and the server key."""

    ca_file: Path
    cert_file: Path
    key_file: Path


def make_service_certificates(workdir: Path, service: str) -> ServiceCertificates:
    """Write ``<service>-ca.pem``, ``<service>.pem`` and ``<service>-key.pem`` in ``workdir``."""
    organisation = f"homolog {service} simulator (synthetic)"
    ca = CertificateAuthority(synthetic_name(organisation, f"homolog {service} test CA"))
    leaf = ca.issue(synthetic_name(organisation, "localhost"), server=True, sans=LOOPBACK_NAMES, days=90)
    workdir.mkdir(parents=True, exist_ok=True)
    certs = ServiceCertificates(
        ca_file=workdir / f"{service}-ca.pem",
        cert_file=workdir / f"{service}.pem",
        key_file=workdir / f"{service}-key.pem",
    )
    write_server_files(ca, leaf, ca_file=certs.ca_file, cert_file=certs.cert_file, key_file=certs.key_file)
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
