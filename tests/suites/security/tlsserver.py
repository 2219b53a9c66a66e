"""A tiny TLS server on 127.0.0.1 for the transport probes' own tests, and the process of a
third-party application served over TLS (`app_process`)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


def make_pki(
    folder: Path,
    *,
    days: int = 365,
    rsa_bits: int | None = 2048,
    san_ip: str = "127.0.0.1",
    valid_from_days_ago: int = 1,
) -> tuple[Path, Path, Path]:
    """Write ca.pem, leaf.pem, leaf-key.pem; the leaf is RSA (rsa_bits) or EC P-256."""
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(65537, rsa_bits) if rsa_bits else ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, san_ip)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=valid_from_days_ago))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(san_ip))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem, leaf_pem, key_pem = folder / "ca.pem", folder / "leaf.pem", folder / "leaf-key.pem"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    leaf_pem.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_pem, leaf_pem, key_pem


@contextmanager
def tls_server(
    cert: Path,
    key: Path,
    *,
    minimum: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2,
    ciphers: str | None = None,
    silent: bool = False,
) -> Iterator[int]:
    """Serve TLS handshakes on 127.0.0.1; yields the port.

    ``silent`` accepts TCP connections and never answers (handshake timeout).
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # Security level 0 before loading the key, so weak keys can be served on purpose.
    ctx.set_ciphers(ciphers or "DEFAULT:@SECLEVEL=0")
    ctx.load_cert_chain(cert, key)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = minimum
    # Allow the old versions to be really negotiated when asked for.
    ctx.set_ciphers(ciphers or "DEFAULT:@SECLEVEL=0")
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    lsock.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = lsock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if silent:
                held.append(conn)
                continue
            conn.settimeout(2)
            try:
                with ctx.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except (OSError, ssl.SSLError):
                pass
            finally:
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield lsock.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        lsock.close()
        for c in held:
            c.close()


@contextmanager
def closed_port() -> Iterator[int]:
    """A port on 127.0.0.1 that refuses connections while the block runs: bound, never
    listened on, so no other process of the suite can take it meanwhile (a port bound then
    released could be listening again by the time a check connects)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield int(s.getsockname()[1])


def free_port() -> int:
    """A port of 127.0.0.1 free when asked (for a process that binds it itself)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def app_process(
    argv: list[str], folder: Path, ready_url: str, ca: Path, env: Mapping[str, str] | None = None
) -> Iterator[None]:
    """Run `argv` (a Python script when it starts with one: with this interpreter; its
    output in folder/server.log) until the block ends, once `ready_url` answers over TLS
    trusting `ca`; RuntimeError with the log if it does not start within 30 s."""
    folder.mkdir(parents=True, exist_ok=True)
    log = (folder / "server.log").open("wb")
    if argv[0].endswith(".py"):
        argv = [sys.executable, *argv]
    proc = subprocess.Popen(
        argv,
        cwd=Path(__file__).resolve().parents[3],
        env={**os.environ, **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        trust = ssl.create_default_context(cafile=str(ca))
        while True:
            try:
                httpx.get(ready_url, verify=trust, timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{argv} did not start: {(folder / 'server.log').read_text()}") from None
                time.sleep(0.1)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
