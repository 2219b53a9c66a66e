"""The simulator's certificate authority: it stands in for IGC-Santé.

An MSSanté operator authenticates the software of a health organisation by its
organisation certificate (mutual TLS) and presents a server certificate of the same
authority. Here one CA, generated at start, issues both: the server certificate of the
simulator (127.0.0.1 / localhost) and the client certificate handed to the SUT.
"""

from __future__ import annotations

from cryptography import x509

from ..certificates import LOOPBACK_NAMES, IssuedCertificate, synthetic_name
from ..certificates import CertificateAuthority as _Authority

__all__ = ["CertificateAuthority", "IssuedCertificate"]

_LEAF_DAYS = 180


class CertificateAuthority(_Authority):
    """A throw-away CA (EC P-256) issuing RSA-2048 leaves for the MSSanté cipher suites."""

    def __init__(self, name: str = "homolog MSSanté test CA (IGC-Santé stand-in)") -> None:
        super().__init__(synthetic_name("homolog (synthetic)", name))

    def server_certificate(self) -> IssuedCertificate:
        """The simulator's own certificate, for 127.0.0.1 and localhost."""
        name = synthetic_name("homolog MSSanté simulator (synthetic)", "localhost")
        return self.issue(name, server=True, sans=LOOPBACK_NAMES, days=_LEAF_DAYS)

    def client_certificate(self, mailbox: str, *, organisation: str, structure_id: str) -> IssuedCertificate:
        """An organisation certificate for the SUT's application mailbox.

        Shaped like an IGC-Santé organisation certificate: the structure's name in O,
        its national identifier (idNatSt) in OU, the mailbox as the common name.
        """
        name = synthetic_name(organisation, mailbox, unit=structure_id)
        return self.issue(name, server=False, sans=[x509.RFC822Name(mailbox)], days=_LEAF_DAYS)
