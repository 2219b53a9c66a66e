"""TLS 1.2 cipher suites restricted to an allow-list (MSS/CONF.03)."""

from __future__ import annotations

from homolog import CheckError, Evidence, Params, Target, check, fail

from ..tls_endpoint import web_endpoint
from ..tls_probe import TLS12_SUITES_SEGUR, ProbeError, offered_tls12_suites, probe_suites


class CipherParams(Params):
    """IANA codes of the TLS 1.2 suites the server may accept (default: Ségur list)."""

    allowed: tuple[int, ...] = TLS12_SUITES_SEGUR
    base: str = "web"
    timeout: float = 5.0


@check("security.tls.cipher_suites", params=CipherParams)
def cipher_suites(target: Target, params: CipherParams, evidence: Evidence) -> None:
    """The server accepts only the allowed TLS 1.2 cipher suites."""
    host, port = web_endpoint(target, params.base)
    candidates = offered_tls12_suites()
    try:
        accepted, skipped = probe_suites(host, port, candidates, timeout=params.timeout)
    except ProbeError as exc:
        raise CheckError(str(exc)) from exc
    allowed = set(params.allowed)
    evidence.attach_json(
        "tls12-cipher-suites.json",
        {
            "host": host,
            "port": port,
            "probed": len(candidates) - len(skipped),
            "not_probeable_locally": [s.name for s in skipped],
            "accepted": [{"name": s.name, "code": s.hex} for s in accepted],
            "allowed": [f"0x{c:04X}" for c in sorted(allowed)],
        },
    )
    # Whether the server speaks TLS 1.2 at all is the version check's business; if it
    # accepts no 1.2 suite there is nothing outside the list.
    extra = [s for s in accepted if s.code not in allowed]
    if extra:
        listed = ", ".join(f"{s.name} ({s.hex})" for s in extra)
        fail(f"{host}:{port} accepts TLS 1.2 suites outside the allow-list: {listed}")
