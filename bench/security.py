"""Security suite costs against the reference SUT: TLS probes and PSC simulator logins.

    python bench/security.py [--rounds 5]

Prints, as medians over the rounds: the four protocol-version handshakes, the TLS 1.2
cipher-suite enumeration (one handshake per suite OpenSSL can offer), and one Pro Santé
Connect code flow through the simulator driven over plain HTTP (no browser: it isolates
the simulator + relying-party cost from Chromium's).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin

import httpx

from homolog.counterparts.psc import PscSimulator
from homolog.fixtures.refsut import start_sut
from homolog.suites.security.tls_probe import (
    VERSIONS,
    handshake,
    host_port,
    offered_tls12_suites,
    probe_suites,
)


def _http_psc_login(base: str, ca: Path) -> bool:
    """Follow the SUT's PSC button over HTTP; True when a session was opened."""
    with httpx.Client(verify=str(ca), follow_redirects=False, timeout=10) as sut:
        resp = sut.get(base + "/login/psc")
        for _ in range(5):
            if resp.status_code not in (302, 303):
                break
            url = urljoin(str(resp.url), resp.headers["location"])
            resp = sut.get(url) if url.startswith(base) else httpx.get(url, follow_redirects=False, timeout=10)
        return resp.status_code == 200 and "/patients" in str(resp.url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    versions: list[float] = []
    ciphers: list[float] = []
    logins: list[float] = []
    suites = offered_tls12_suites()
    with (
        tempfile.TemporaryDirectory() as tmp,
        PscSimulator(client_id="bench", client_secret="bench-secret") as psc,
        start_sut(
            workdir=Path(tmp), oidc_issuer=psc.issuer, oidc_client_id="bench", oidc_client_secret="bench-secret"
        ) as sut,
    ):
        host, port = host_port(sut.base_https)
        for _ in range(args.rounds):
            t = time.perf_counter()
            for v in VERSIONS.values():
                handshake(host, port, version=v)
            versions.append(time.perf_counter() - t)
            t = time.perf_counter()
            accepted, _ = probe_suites(host, port, suites)
            ciphers.append(time.perf_counter() - t)
            t = time.perf_counter()
            if not _http_psc_login(sut.base_https, sut.ca_file):
                raise SystemExit("the PSC login did not open a session")
            logins.append(time.perf_counter() - t)
    print(f"protocol versions (4 handshakes): {statistics.median(versions) * 1000:.0f} ms")
    print(
        f"TLS 1.2 suites ({len(suites)} handshakes, {len(accepted)} accepted): "
        f"{statistics.median(ciphers) * 1000:.0f} ms"
    )
    print(f"PSC code flow over HTTP (SUT + simulator): {statistics.median(logins) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
