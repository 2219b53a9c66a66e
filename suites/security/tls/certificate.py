"""The server certificate: in its validity period, far enough from expiry, issued for
the host, with a strong enough key, chaining to the target's CA."""

from __future__ import annotations

import datetime as dt

from homolog import CheckError, Evidence, Params, Target, check, fail

from ..tls_certinfo import CertInfo, hostname_matches, read_cert
from ..tls_endpoint import trust_anchor, web_endpoint
from ..tls_probe import ProbeError, handshake


class CertParams(Params):
    """Which HTTPS base to inspect."""

    base: str = "web"
    timeout: float = 5.0


class ExpiryParams(CertParams):
    """Minimum number of days the certificate must still be valid for."""

    min_days: int = 30


class KeySizeParams(CertParams):
    """Minimum key sizes in bits (MSS/CONF.03: RSA/DH 2048, EC 256)."""

    min_rsa_bits: int = 2048
    min_ec_bits: int = 256


def _leaf(target: Target, params: CertParams, evidence: Evidence) -> tuple[str, CertInfo]:
    host, port = web_endpoint(target, params.base)
    try:
        res = handshake(host, port, timeout=params.timeout)
    except ProbeError as exc:
        raise CheckError(str(exc)) from exc
    if not res.accepted or res.cert_der is None:
        raise CheckError(f"no TLS session with {host}:{port} to read a certificate: {res.reason}")
    evidence.attach_bytes("server-certificate.der", res.cert_der, media_type="application/pkix-cert")
    try:
        info = read_cert(res.cert_der)
    except ValueError as exc:
        fail(f"{host}:{port} presents a certificate that cannot be parsed: {exc}")
    evidence.attach_json(
        "server-certificate.json",
        {
            "subject": info.subject,
            "not_before": info.not_before.isoformat(),
            "not_after": info.not_after.isoformat(),
            "dns_names": list(info.dns_names),
            "ip_addresses": list(info.ip_addresses),
            "key": f"{info.key_type} {info.key_bits}",
        },
    )
    return host, info


@check("security.tls.certificate_validity", params=CertParams)
def certificate_validity(target: Target, params: CertParams, evidence: Evidence) -> None:
    """The server certificate is within its validity period."""
    host, info = _leaf(target, params, evidence)
    now = dt.datetime.now(dt.UTC)
    if now < info.not_before:
        fail(f"the certificate of {host} is not valid before {info.not_before.isoformat()}")
    if now > info.not_after:
        fail(f"the certificate of {host} expired on {info.not_after.isoformat()}")


@check("security.tls.certificate_expiry", params=ExpiryParams)
def certificate_expiry(target: Target, params: ExpiryParams, evidence: Evidence) -> None:
    """The server certificate stays valid for at least the required number of days."""
    host, info = _leaf(target, params, evidence)
    left = info.days_left()
    if left < params.min_days:
        fail(
            f"the certificate of {host} expires in {left:.1f} days "
            f"({info.not_after.date()}), less than {params.min_days}"
        )


@check("security.tls.certificate_hostname", params=CertParams)
def certificate_hostname(target: Target, params: CertParams, evidence: Evidence) -> None:
    """The server certificate names the host it is served for."""
    host, info = _leaf(target, params, evidence)
    if not hostname_matches(info, host):
        names = ", ".join([*info.dns_names, *info.ip_addresses]) or "no subjectAltName"
        fail(f"the certificate does not cover {host} (it names: {names})")


@check("security.tls.certificate_key_size", params=KeySizeParams)
def certificate_key_size(target: Target, params: KeySizeParams, evidence: Evidence) -> None:
    """The server certificate key is at least 2048-bit RSA or 256-bit elliptic curve."""
    _host, info = _leaf(target, params, evidence)
    if info.key_type in ("RSA", "DSA"):
        if info.key_bits < params.min_rsa_bits:
            fail(f"{info.key_type} key of {info.key_bits} bits < {params.min_rsa_bits}")
    elif info.key_type in ("EC", "Ed25519", "Ed448"):
        if info.key_bits < params.min_ec_bits:
            fail(f"{info.key_type} key of {info.key_bits} bits < {params.min_ec_bits}")
    else:
        raise CheckError(f"unknown key type {info.key_type}: cannot judge its size")


@check("security.tls.certificate_chain", params=CertParams)
def certificate_chain(target: Target, params: CertParams, evidence: Evidence) -> None:
    """The server certificate chains to the certification authority the vendor declares."""
    host, port = web_endpoint(target, params.base)
    anchor = trust_anchor(target)
    try:
        res = handshake(host, port, cafile=anchor, timeout=params.timeout)
    except ProbeError as exc:
        raise CheckError(str(exc)) from exc
    except OSError as exc:  # unreadable CA file: a target configuration problem
        raise CheckError(f"cannot load the CA file {anchor}: {exc}") from exc
    if res.verify_error:
        fail(f"the certificate of {host}:{port} does not verify against {anchor}: {res.verify_error}")
    if not res.accepted:
        raise CheckError(f"TLS handshake with {host}:{port} refused: {res.reason}")
