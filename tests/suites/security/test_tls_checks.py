"""Transport checks against a local TLS server described by a minimal target file.

Both sides of the cipher allow-list and of the expiry horizon, plus the cases the
reference SUT cannot show (another CA, a closed port, a server that never answers).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from homolog.testing import run_check

from .tlsserver import closed_port, make_pki, tls_server

SEGUR_OPENSSL = (
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-SHA384:"
    "ECDHE-RSA-AES128-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256"
)


def write_target(folder: Path, port: int, ca: Path | None) -> Path:
    doc = {
        "format": "homolog.target/1",
        "system": {"name": "local TLS server", "version": "0", "vendor": "homolog tests"},
        "base_urls": {"web": f"https://127.0.0.1:{port}"},
        "tls": {"ca_file": str(ca)} if ca else {"verify": False},
    }
    path = folder / f"target-{port}.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


@contextmanager
def served(
    tmp: Path,
    *,
    days: int = 365,
    ciphers: str | None = None,
    silent: bool = False,
    minimum: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2,
) -> Iterator[Path]:
    ca, cert, key = make_pki(tmp, days=days)
    with tls_server(cert, key, ciphers=ciphers, silent=silent, minimum=minimum) as port:
        yield write_target(tmp, port, ca)


def test_cipher_allow_list_passes_and_fails(tmp_path: Path) -> None:
    with served(tmp_path / "a", ciphers=SEGUR_OPENSSL) as target:
        assert run_check("security.tls.cipher_suites", target, tmp_path=tmp_path).verdict == ("passed")
    with served(tmp_path / "b") as target:  # OpenSSL defaults: CHACHA20, CBC-SHA1 ...
        res = run_check("security.tls.cipher_suites", target, tmp_path=tmp_path)
    assert res.verdict == "failed" and "0xCCA8" in (res.message or "")


def test_expiry_horizon(tmp_path: Path) -> None:
    with served(tmp_path / "a", days=90) as target:
        ok = run_check("security.tls.certificate_expiry", target, tmp_path=tmp_path, params={"min_days": 30})
        short = run_check("security.tls.certificate_expiry", target, tmp_path=tmp_path, params={"min_days": 120})
    assert ok.verdict == "passed"
    assert short.verdict == "failed" and "less than 120" in (short.message or "")


def test_chain_to_another_ca_fails(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "other").mkdir()
    other_ca, _, _ = make_pki(tmp_path / "other")
    with served(tmp_path / "a") as target:
        doc = yaml.safe_load(target.read_text())
        doc["tls"]["ca_file"] = str(other_ca)
        target.write_text(yaml.safe_dump(doc))
        res = run_check("security.tls.certificate_chain", target, tmp_path=tmp_path)
    assert res.verdict == "failed" and "does not verify" in (res.message or "")


TLS_CONNECTING = ("security.tls.minimum_version", "security.tls.cipher_suites", "security.tls.certificate_validity")


def test_closed_port_and_silent_server_are_errors(tmp_path: Path) -> None:
    with closed_port() as port:
        closed = write_target(tmp_path, port, None)
        for check in TLS_CONNECTING:
            res = run_check(check, closed, tmp_path=tmp_path, params={"timeout": 1.0})
            assert res.verdict == "error" and "cannot connect" in (res.message or ""), check
    (tmp_path / "s").mkdir()
    with served(tmp_path / "s", silent=True) as target:
        res = run_check("security.tls.minimum_version", target, tmp_path=tmp_path, params={"timeout": 0.5})
    assert res.verdict == "error" and "timed out" in (res.message or "")


def test_unverifiable_target_cannot_check_chain(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    with served(tmp_path / "a") as target:
        doc = yaml.safe_load(target.read_text())
        doc["tls"] = {"verify": False}
        target.write_text(yaml.safe_dump(doc))
        res = run_check("security.tls.certificate_chain", target, tmp_path=tmp_path)
    assert res.verdict == "error" and "tls.ca_file" in (res.message or "")


@pytest.mark.parametrize(
    ("pki", "check", "words"),
    [
        ({"days": -1, "valid_from_days_ago": 10}, "security.tls.certificate_validity", "expired"),
        ({"san_ip": "127.0.0.2"}, "security.tls.certificate_hostname", "does not cover"),
        ({"rsa_bits": 1024}, "security.tls.certificate_key_size", "1024 bits < 2048"),
    ],
)
def test_bad_certificates_fail(tmp_path: Path, pki: dict[str, Any], check: str, words: str) -> None:
    _ca, cert, key = make_pki(tmp_path, **pki)
    with tls_server(cert, key) as port:
        res = run_check(check, write_target(tmp_path, port, None), tmp_path=tmp_path)
    assert res.verdict == "failed" and words in (res.message or ""), res.message


TLS_CHECKS = (
    "security.tls.minimum_version",
    "security.tls.cipher_suites",
    "security.tls.certificate_validity",
    "security.tls.certificate_expiry",
    "security.tls.certificate_hostname",
    "security.tls.certificate_key_size",
    "security.tls.certificate_chain",
)


@pytest.mark.parametrize("check_id", TLS_CHECKS)
def test_a_site_served_in_clear_fails_every_tls_requirement(tmp_path: Path, check_id: str) -> None:
    # What is declared is what is reached: a plain-HTTP base is a defect, not "undecidable".
    doc = {
        "format": "homolog.target/1",
        "system": {"name": "plain HTTP site", "version": "0"},
        "base_urls": {"web": "http://127.0.0.1:8080/"},
    }
    target = tmp_path / "target.yaml"
    target.write_text(yaml.safe_dump(doc), encoding="utf-8")
    res = run_check(check_id, target, tmp_path=tmp_path)
    assert res.verdict == "failed", res.message
    assert res.message == "served in clear: base_urls.web is plain HTTP (127.0.0.1:8080), without TLS"
