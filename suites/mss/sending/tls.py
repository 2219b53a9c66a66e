"""mss.sending.tls: the SUT submits its messages over TLS (STARTTLS or implicit TLS), never in clear."""

from __future__ import annotations

from homolog import Params, check, error, fail

from ..exchange import Exchange, findings


class TransportParams(Params):
    """``allow_implicit_tls``: accept submission over implicit TLS as well as STARTTLS."""

    allow_implicit_tls: bool = True


@check("mss.sending.tls", params=TransportParams)
def submission_over_tls(mss_exchange: Exchange, params: TransportParams) -> None:
    """The system submits its MSSanté messages over TLS 1.2 or later (STARTTLS or implicit TLS), never in clear."""
    problems = findings(mss_exchange.sessions, {"transport"})
    if not params.allow_implicit_tls:
        problems += [
            f"connection {s['seq']}: submitted over implicit TLS where STARTTLS is required"
            for s in mss_exchange.sessions
            if s.get("port") == "implicit" and s.get("messages")
        ]
    if problems:
        fail("; ".join(problems))
    carried = [s for s in mss_exchange.sessions if s.get("messages")]
    if not carried:
        error("no connection of the system carried a message: the transport of a submission was not observed")
    for s in carried:
        tls = s.get("tls") or {}
        if tls.get("version") not in ("TLSv1.2", "TLSv1.3"):
            fail(f"connection {s['seq']}: the message travelled over {tls.get('version') or 'no TLS'}")
