"""mss.sending.addresses: sender and recipients are MSSanté addresses."""

from __future__ import annotations

from homolog import check, error, fail

from ..exchange import Exchange, findings


@check("mss.sending.addresses")
def mssante_addresses(mss_exchange: Exchange) -> None:
    """The system sends from its MSSanté mailbox to MSSanté addresses only (the trust space)."""
    if not mss_exchange.messages:
        error("no message reached the simulator: the addresses used were not observed")
    problems = findings(mss_exchange.messages, {"addresses"})
    if problems:
        fail("; ".join(problems))
