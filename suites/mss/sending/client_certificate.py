"""mss.sending.client_certificate: the SUT authenticates to the operator with its organisation certificate."""

from __future__ import annotations

from homolog import check, error, fail

from ..exchange import Exchange, findings


@check("mss.sending.client_certificate")
def organisation_certificate(mss_exchange: Exchange) -> None:
    """The system authenticates to its MSSanté operator with the organisation certificate (mutual TLS)."""
    problems = findings(mss_exchange.sessions, {"authentication"})
    if problems:
        fail("; ".join(problems))
    carried = [s for s in mss_exchange.sessions if s.get("messages")]
    if not carried:
        error("no connection of the system carried a message: its authentication was not observed")
    for s in carried:
        cert = (s.get("tls") or {}).get("client_certificate")
        if not cert or not cert.get("verified"):
            fail(f"connection {s['seq']}: no verified client certificate")
