"""INSi and DMP simulators: exchanges per second, start/stop cost, and what they add to the demo.

    .venv/bin/python bench/simulators.py [--n N] [--threads T] [--demo]

- INSi: ``--n`` searches (one identity found) and verifications, each a new HTTPS
  connection as the reference DPI makes them, sequentially and from ``--threads`` clients;
- DMP: ``--n`` Provide and Register Document Set-b (MTOM, one discharge letter), with the
  CDA validated (XSD + schematron, warm) and without CDA validation (metadata only);
- start + stop of each simulator (CA and certificate generation included);
- with ``--demo``: the clean demo run with ``homolog-demo`` 1.0.0 (no INSi/DMP checks) and
  1.1.0 (INS-RNIV-08 and the DMP requirements checked), both with the simulators
  started, and the duration of each new check.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import ssl
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from homolog.counterparts.dmp import DmpSimulator
from homolog.counterparts.insi import InsiSimulator
from homolog.fixtures.refsut import insi as refsut_insi
from homolog.fixtures.refsut.cda import build_document
from homolog.fixtures.refsut.dmp import FeedOptions, build_iti41
from homolog.fixtures.refsut.patients import PatientRecord
from homolog.fixtures.refsut.seed import AUTHOR, CUSTODIAN

CDA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cda"
TEST_OIDS = ("1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.10")


def _patient() -> PatientRecord:
    return PatientRecord(
        id="pat-bench",
        status="QUAL",
        birth_name="ZOLA",
        birth_given_names=["LISE", "MARIE"],
        sex="F",
        birth_date="1979-03-28",
        birth_place_insee="51215",
        ins="279035121518989",
        ins_oid="1.2.250.1.213.1.4.10",
    )


def _rate(label: str, n: int, threads: int, one: Callable[[int], None]) -> None:
    start = time.perf_counter()
    if threads == 1:
        for i in range(n):
            one(i)
    else:
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            list(pool.map(one, range(n)))
    wall = time.perf_counter() - start
    print(f"  {label:<52} {n / wall:8.1f} exchanges/s  ({n} in {wall:.2f} s, {threads} client(s))")


def bench_insi(n: int, threads: int) -> None:
    print("INSi simulator")
    t = time.perf_counter()
    with InsiSimulator() as insi:
        started = time.perf_counter() - t
        cfg = refsut_insi.InsiConfig(url=insi.url, ca_file=str(insi.ca_file))
        rec = _patient()
        prov = PatientRecord(**{**rec.__dict__, "ins": None, "ins_oid": None, "status": "PROV", "extra": {}})

        def search(_: int) -> None:
            assert refsut_insi.search(cfg, prov, frozenset()).code == "00"

        def verify(_: int) -> None:
            assert refsut_insi.verify(cfg, rec).code == "00"

        _rate("search (rechercherInsAvecTraitsIdentite)", n, 1, search)
        _rate("search", n, threads, search)
        _rate("verification", n, 1, verify)
        t = time.perf_counter()
    stopped = time.perf_counter() - t
    print(f"  start {started * 1000:.0f} ms, stop {stopped * 1000:.0f} ms")


def _dmp_once(label: str, material: Path | None, bodies: list[tuple[str, bytes]], size: int) -> None:
    print(f"DMP simulator ({label})")
    t = time.perf_counter()
    with DmpSimulator(cda_material=material, value_sets=CDA / "jeuxDeValeurs", accepted_ins_oids=TEST_OIDS) as dmp:
        started = time.perf_counter() - t
        verify = ssl.create_default_context(cafile=str(dmp.ca_file))

        def send(i: int) -> None:
            ctype, body = bodies[i]
            with httpx.Client(verify=verify, timeout=60) as client:
                resp = client.post(dmp.url, content=body, headers={"Content-Type": ctype})
            assert "ResponseStatusType:Success" in resp.text, resp.text[:500]

        send(len(bodies) - 1)  # warm: CDA XSD and value sets loaded
        _rate(f"Provide and Register, {size // 1024} KiB CDA", len(bodies) - 1, 1, send)
        t = time.perf_counter()
    print(f"  start {started * 1000:.0f} ms, stop {(time.perf_counter() - t) * 1000:.0f} ms")


def bench_dmp(n: int) -> None:
    rec = _patient()
    documents = [
        build_document("LDL-SES", patient=rec.as_cda_patient(), author=AUTHOR, custodian=CUSTODIAN)
        for _ in range(n + 1)
    ]
    bodies = [
        build_iti41(d, rec, author=AUTHOR, custodian=CUSTODIAN, options=FeedOptions(), defects=frozenset())
        for d in documents
    ]
    _dmp_once("CDA structure checked (XSD)", CDA if CDA.is_dir() else None, bodies, len(documents[0]))
    _dmp_once("metadata only", None, bodies, len(documents[0]))


def bench_demo() -> None:
    from homolog.demo import environment, started_demo_sut
    from homolog.testing import run_referential

    durations: dict[str, list[tuple[str, float]]] = {}
    walls: dict[str, float] = {}
    for version in ("1.0.0", "1.1.0"):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "run"
            t = time.perf_counter()
            with started_demo_sut(set(), Path(tmp) / "sut") as sut, environment(sut.env):
                doc: Any = run_referential(
                    f"homolog-demo@{version}", sut.target_path, out, counterparts=sut.counterparts
                )
            walls[version] = time.perf_counter() - t
            for req in doc["requirements"]:
                if req["id"] == "INS-RNIV-08" or req["id"].startswith(("DMP/ALIM", "DMP/HISTO.05")):
                    durations[req["id"]] = [(c["check"], c.get("duration") or 0.0) for c in req.get("checks", [])]
    print("Demo (clean, simulators started in both runs)")
    for version, wall in walls.items():
        print(f"  homolog-demo {version}: {wall:.1f} s")
    print(f"  added by 1.1.0: {walls['1.1.0'] - walls['1.0.0']:+.1f} s")
    for rid, checks in durations.items():
        total = sum(d for _, d in checks)
        print(f"  {rid:<14} {total:5.1f} s  " + ", ".join(f"{c} {d:.1f}" for c, d in checks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--demo", action="store_true", help="also time the demo with and without the new checks")
    args = parser.parse_args()
    bench_insi(args.n, args.threads)
    bench_dmp(args.n)
    if args.demo:
        bench_demo()


if __name__ == "__main__":
    main()
