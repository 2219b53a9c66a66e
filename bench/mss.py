"""MSSanté simulator throughput and what the MSSanté checks add to the demo.

    .venv/bin/python bench/mss.py [--messages N]

- start/stop: a simulator's start (CA, server certificate, three listeners) and stop;
- messages/s, one connection: a client opens one STARTTLS session with its certificate
  and submits N discharge letters (IHE_XDM.ZIP with a CDA), each judged on arrival;
- messages/s, a connection each: the same, with a new TCP + TLS session per letter (what
  the reference DPI does);
- judgement alone: ``judge_message`` on the same letter, no network (the ceiling);
- demo: the nine MSSanté sending requirements of mss 1.1.0 run in-process against the
  reference DPI configured with a simulator (trigger, SMTP exchange, CDA validation): the
  sum of their checks' durations and the simulator's start/stop are what ``homolog demo``
  gains (serially); the run's own wall time adds pytest's start-up, which the demo pays
  once anyway.
"""

from __future__ import annotations

import argparse
import smtplib
import ssl
import statistics
import tempfile
import time
from pathlib import Path

from homolog.counterparts.mss import MssSimulator, declare_simulator
from homolog.counterparts.mss.judge import judge_message
from homolog.fixtures.refsut import MssClientConfig, start_sut


def sut_letter(sim: MssSimulator, tmp: Path) -> bytes:
    """The discharge letter the reference DPI sends (captured once, replayed by the bench)."""
    import httpx

    cert, key = sim.write_client_certificate(tmp)
    cfg = MssClientConfig(
        url=sim.url, sender=sim.mailbox, ca_file=str(sim.ca_file), cert_file=str(cert), key_file=str(key)
    )
    with start_sut(workdir=tmp / "sut", mss=cfg) as sut:
        since = sim.counters()["messages"]
        httpx.post(
            f"{sut.base_https}/api/mss/letters",
            json={"document": "doc-qual-ldl-ses"},
            headers={"Authorization": f"Bearer {sut.env['HOMOLOG_DEMO_FHIR_TOKEN']}"},
            verify=ssl.create_default_context(cafile=str(sut.ca_file)),
            timeout=30,
        ).raise_for_status()
    raw = sim.raw_message(since)
    assert raw is not None
    return raw


def client_context(sim: MssSimulator, folder: Path) -> ssl.SSLContext:
    cert, key = sim.write_client_certificate(folder)
    ctx = ssl.create_default_context(cafile=str(sim.ca_file))
    ctx.load_cert_chain(cert, key)
    return ctx


def one_session(sim: MssSimulator, ctx: ssl.SSLContext, raw: bytes, n: int) -> float:
    host, port = sim.smtp_address
    start = time.perf_counter()
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        smtp.starttls(context=ctx)
        for _ in range(n):
            smtp.sendmail(sim.mailbox, ["paul.generaliste@medecin.mssante.fr"], raw)
    return time.perf_counter() - start


def session_each(sim: MssSimulator, ctx: ssl.SSLContext, raw: bytes, n: int) -> float:
    host, port = sim.smtp_address
    start = time.perf_counter()
    for _ in range(n):
        with smtplib.SMTP(host, port, timeout=30) as smtp:
            smtp.starttls(context=ctx)
            smtp.sendmail(sim.mailbox, ["paul.generaliste@medecin.mssante.fr"], raw)
    return time.perf_counter() - start


def demo_part(tmp: Path) -> tuple[float, float, float, int]:
    """(simulator start+stop, in-process run, sum of the checks' durations (s), requirements passed)."""
    import os

    from homolog.testing import run_referential

    referential = Path(__file__).resolve().parents[1] / "referentials" / "mss" / "mss-1.1.0.yaml"
    t0 = time.perf_counter()
    sim = MssSimulator().start()
    started = time.perf_counter() - t0
    try:
        cert, key = sim.write_client_certificate(tmp)
        cfg = MssClientConfig(
            url=sim.url, sender=sim.mailbox, ca_file=str(sim.ca_file), cert_file=str(cert), key_file=str(key)
        )
        with start_sut(workdir=tmp / "sut", mss=cfg) as sut:
            declare_simulator(sut.target_path, sim)
            os.environ.update(sut.env)
            t1 = time.perf_counter()
            doc = run_referential(
                referential,
                sut.target_path,
                tmp / "run",
                extra_args=["-q", "-k", "not MSS/CONF.01 and not MSS/CONF.03"],
            )
            run = time.perf_counter() - t1
    finally:
        t2 = time.perf_counter()
        sim.stop()
        stopped = time.perf_counter() - t2
    passed = sum(r["verdict"] == "passed" for r in doc["requirements"])
    checks = sum(float(c.get("duration") or 0.0) for r in doc["requirements"] for c in r.get("checks", []))
    return started + stopped, run, checks, passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    n = args.messages

    lifecycle = []
    for _ in range(5):
        t = time.perf_counter()
        with MssSimulator():
            pass
        lifecycle.append(time.perf_counter() - t)
    print(f"simulator start+stop: median {statistics.median(lifecycle) * 1000:.0f} ms over 5")

    with tempfile.TemporaryDirectory() as tmp, MssSimulator() as sim:
        raw = sut_letter(sim, Path(tmp))
        ctx = client_context(sim, Path(tmp) / "client")
        one_session(sim, ctx, raw, 5)  # warm-up
        t = one_session(sim, ctx, raw, n)
        print(f"one STARTTLS session, {n} letters of {len(raw)} bytes: {n / t:.0f} messages/s")
        t = session_each(sim, ctx, raw, n // 4)
        print(f"a STARTTLS session per letter, {n // 4} letters: {(n // 4) / t:.0f} messages/s")
        bad = [m for m in sim.messages() if m["findings"]]
        print(f"  judged: {len(sim.messages())} messages, {len(bad)} with findings (expected 0)")
        t = time.perf_counter()
        for _ in range(n):
            judge_message(sim.mailbox, ["paul.generaliste@medecin.mssante.fr"], raw, sim.judge_config)
        print(f"judgement alone (no network): {n / (time.perf_counter() - t):.0f} messages/s")

    with tempfile.TemporaryDirectory() as tmp:
        lifecycle_s, run_s, checks_s, passed = demo_part(Path(tmp))
        print(
            f"demo part: simulator start+stop {lifecycle_s:.2f} s; the 9 sending requirements: checks"
            f" {checks_s:.2f} s (what the demo adds, serial), {run_s:.2f} s as a run of their own"
            f" with pytest start-up ({passed} passed)"
        )


if __name__ == "__main__":
    main()
