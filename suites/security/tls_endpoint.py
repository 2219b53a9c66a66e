"""Where the transport checks connect: the target's ``web`` base, and how to trust it."""

from __future__ import annotations

from homolog import CheckError, Target

from .tls_probe import ProbeError, host_port

__all__ = ["trust_anchor", "web_endpoint"]


def web_endpoint(target: Target, base: str = "web") -> tuple[str, int]:
    """(host, port) of the target's HTTPS base; CheckError when it is not https."""
    try:
        return host_port(target.base_url(base))
    except ProbeError as exc:
        raise CheckError(f"base_urls.{base}: {exc}") from exc


def trust_anchor(target: Target) -> str:
    """The CA file the target declares (``tls.ca_file``), or ``"system"``.

    A target that disables verification (``tls.verify: false``) gives no anchor to
    verify a chain against: the check cannot decide.
    """
    verify = target.ssl_verify
    if verify is False:
        raise CheckError("the target sets tls.verify: false; declare tls.ca_file so the chain can be checked")
    if verify is True:
        return "system"
    return str(verify)
