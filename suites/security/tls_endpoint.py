"""Where the transport checks connect: the target's ``web`` base, and how to trust it."""

from __future__ import annotations

from urllib.parse import urlsplit

from homolog import CheckError, Target, fail

from .tls_probe import ProbeError, host_port

__all__ = ["trust_anchor", "web_endpoint"]


def web_endpoint(target: Target, base: str = "web") -> tuple[str, int]:
    """(host, port) of the target's HTTPS base.

    A base the vendor declares as plain ``http://`` is a site served in clear: every
    requirement of TLS (versions, suites, certificate) fails on it, it is not undecidable.
    """
    url = target.base_url(base)
    parts = urlsplit(url)
    if parts.scheme == "http":
        where = f"{parts.hostname}:{parts.port or 80}"  # no user-info: it may hold a password
        fail(f"served in clear: base_urls.{base} is plain HTTP ({where}), without TLS")
    try:
        return host_port(url)
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
