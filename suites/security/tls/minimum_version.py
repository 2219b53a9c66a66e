"""Protocol versions: obsolete TLS refused, TLS 1.2 or later accepted (MSS/CONF.01)."""

from __future__ import annotations

from homolog import CheckError, Evidence, Params, Target, check, fail

from ..tls_endpoint import web_endpoint
from ..tls_probe import VERSIONS, ProbeError, handshake


class VersionParams(Params):
    """Which versions must be refused and which at least one of must be accepted."""

    refused: tuple[str, ...] = ("TLSv1", "TLSv1.1")
    accepted_any: tuple[str, ...] = ("TLSv1.2", "TLSv1.3")
    base: str = "web"
    timeout: float = 5.0


@check("security.tls.minimum_version", params=VersionParams)
def minimum_version(target: Target, params: VersionParams, evidence: Evidence) -> None:
    """The server refuses TLS 1.0 and 1.1 and accepts TLS 1.2 or later."""
    host, port = web_endpoint(target, params.base)
    unknown = [v for v in (*params.refused, *params.accepted_any) if v not in VERSIONS]
    if unknown:
        raise CheckError(f"unknown TLS version name(s) {unknown}; use {sorted(VERSIONS)}")
    outcome: dict[str, str] = {}
    try:
        for name in [*params.refused, *params.accepted_any]:
            res = handshake(host, port, version=VERSIONS[name], timeout=params.timeout)
            outcome[name] = "accepted" if res.accepted else f"refused ({res.reason})"
    except ProbeError as exc:
        raise CheckError(str(exc)) from exc
    evidence.attach_json("tls-versions.json", {"host": host, "port": port, "versions": outcome})
    wrongly = [v for v in params.refused if outcome[v] == "accepted"]
    if wrongly:
        fail(f"{host}:{port} accepts {', '.join(wrongly)} (must be refused)")
    if not any(outcome[v] == "accepted" for v in params.accepted_any):
        fail(f"{host}:{port} accepts none of {', '.join(params.accepted_any)}")
