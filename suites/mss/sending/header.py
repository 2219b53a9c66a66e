"""mss.sending.header_*: the MSSanté headers X-MSS-INS, X-MSS-CODECDA and X-MSS-NIL."""

from __future__ import annotations

from homolog import CheckError, Target, check, fail

from ..exchange import Exchange, findings
from ..settings import load_mss_settings


def _with_cda(exchange: Exchange) -> list[dict[str, object]]:
    return [m for m in exchange.accepted if any(d.get("cda") for d in m.get("documents", []))]


@check("mss.sending.header_ins")
def header_ins(mss_exchange: Exchange) -> None:
    """Messages carrying a CDA in IHE_XDM have X-MSS-INS: O when a qualified INS is in the archive, N otherwise."""
    problems = findings(mss_exchange.accepted, {"headers"}, codes=("x-mss-ins",))
    if problems:
        fail("; ".join(problems))
    if not _with_cda(mss_exchange):
        raise CheckError("no message carried a CDA in IHE_XDM: X-MSS-INS cannot be judged")


@check("mss.sending.header_codecda")
def header_codecda(mss_exchange: Exchange) -> None:
    """Messages carrying CDA documents in IHE_XDM list their codes in X-MSS-CODECDA."""
    problems = findings(mss_exchange.accepted, {"headers"}, codes=("x-mss-codecda",))
    if problems:
        fail("; ".join(problems))
    if not _with_cda(mss_exchange):
        raise CheckError("no message carried a CDA in IHE_XDM: X-MSS-CODECDA cannot be judged")


@check("mss.sending.header_nil")
def header_nil(mss_exchange: Exchange, target: Target) -> None:
    """Every message carries X-MSS-NIL with the product reference declared to the ANS."""
    if not mss_exchange.accepted:
        raise CheckError("no message reached the simulator in full: X-MSS-NIL cannot be judged")
    problems = findings(mss_exchange.accepted, {"headers"}, codes=("x-mss-nil",))
    expected = load_mss_settings(target).product_reference
    if expected:
        for m in mss_exchange.accepted:
            values = [v.strip() for v in m.get("headers", {}).get("X-MSS-NIL", [])]
            if values and values != [expected]:
                problems.append(f"message {m['seq']}: X-MSS-NIL is {', '.join(values)}, declared product is {expected}")
    if problems:
        fail("; ".join(problems))
