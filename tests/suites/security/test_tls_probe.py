"""The TLS probes against a real local TLS server (no engine needed)."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from homolog.suites.security.tls_certinfo import hostname_matches, read_cert
from homolog.suites.security.tls_probe import (
    TLS12_SUITES_SEGUR,
    ProbeError,
    handshake,
    offered_tls12_suites,
    probe_suites,
)

from .tlsserver import closed_port, make_pki, tls_server

SEGUR_OPENSSL = (
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-SHA384:"
    "ECDHE-RSA-AES128-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256"
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return make_pki(tmp_path_factory.mktemp("pki"))


def test_modern_server_refuses_tls10_and_accepts_tls12(pki: tuple[Path, Path, Path]) -> None:
    _ca, cert, key = pki
    with tls_server(cert, key) as port:
        assert not handshake("127.0.0.1", port, version=ssl.TLSVersion.TLSv1).accepted
        assert not handshake("127.0.0.1", port, version=ssl.TLSVersion.TLSv1_1).accepted
        res = handshake("127.0.0.1", port, version=ssl.TLSVersion.TLSv1_2)
        assert res.accepted and res.version == "TLSv1.2"


def test_legacy_server_accepts_tls10(pki: tuple[Path, Path, Path]) -> None:
    _ca, cert, key = pki
    with tls_server(cert, key, minimum=ssl.TLSVersion.TLSv1) as port:
        res = handshake("127.0.0.1", port, version=ssl.TLSVersion.TLSv1)
        assert res.accepted and res.version == "TLSv1"


def test_closed_port_and_silent_server_cannot_decide(pki: tuple[Path, Path, Path]) -> None:
    _ca, cert, key = pki
    with closed_port() as port, pytest.raises(ProbeError, match="cannot connect"):
        handshake("127.0.0.1", port, timeout=1)
    with tls_server(cert, key, silent=True) as port, pytest.raises(ProbeError, match="timed out"):
        handshake("127.0.0.1", port, timeout=0.5)


def test_cipher_probe_separates_allowed_from_extra(pki: tuple[Path, Path, Path]) -> None:
    _ca, cert, key = pki
    suites = offered_tls12_suites()
    assert {0xC02F, 0xC030, 0xCCA8} <= {s.code for s in suites}
    with tls_server(cert, key, ciphers=SEGUR_OPENSSL) as port:
        accepted, _ = probe_suites("127.0.0.1", port, suites, timeout=2)
    assert accepted and {s.code for s in accepted} <= set(TLS12_SUITES_SEGUR)
    with tls_server(cert, key) as port:  # OpenSSL defaults include CHACHA20 and CBC-SHA1
        accepted, _ = probe_suites("127.0.0.1", port, suites, timeout=2)
    assert {s.code for s in accepted} - set(TLS12_SUITES_SEGUR)


def test_chain_and_certificate_facts(tmp_path: Path, pki: tuple[Path, Path, Path]) -> None:
    ca, cert, key = pki
    other_ca, _, _ = make_pki(tmp_path)
    with tls_server(cert, key) as port:
        good = handshake("127.0.0.1", port, cafile=str(ca))
        bad = handshake("127.0.0.1", port, cafile=str(other_ca))
    assert good.accepted and good.cert_der
    assert not bad.accepted and bad.verify_error
    info = read_cert(good.cert_der)
    assert info.key_type == "RSA" and info.key_bits == 2048
    assert 363 < info.days_left() < 366
    assert hostname_matches(info, "127.0.0.1")
    assert not hostname_matches(info, "127.0.0.2")
    assert not hostname_matches(info, "localhost")
