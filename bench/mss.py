"""MSSanté simulator throughput and what the MSSanté checks add to the demo.

    .venv/bin/python bench/mss.py [--messages N]

- start/stop: a simulator's start (CA, server certificate, three listeners) and stop;
- messages/s, one connection: a client opens one STARTTLS session with its certificate
  and submits N discharge letters (IHE_XDM.ZIP with a CDA), each judged on arrival;
- messages/s, a connection each: the same, with a new TCP + TLS session per letter (what
  the reference DPI does);
- judgement alone: ``judge_message`` on the same letter, no network (the ceiling);
- demo: the nine MSSanté sending requirements of mss 1.1.0 run in-process against the
  reference DPI configured with a simulator (trigger, SMTP exchange, CDA validation),
  wall time of the run and the simulator's start/stop: what homolog demo gains.
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
from homolog.fixtures.refsut.cda import build_document
from homolog.fixtures.refsut.mss import build_message, build_xdm, metadata_xml

PATIENT = {
    "id": "pat-qual",
    "ins": "279035121518989",
    "ins_oid": "1.2.250.1.213.1.4.10",
    "status": "QUAL",
    "birth_name": "ZOLA",
    "birth_given_names": ["Lise", "Marie"],
    "used_name": None,
    "sex": "F",
    "birth_date": "1979-03-28",
    "birth_place_insee": "51215",
}


def letter(sender: str) -> bytes:
    cda = build_document(
        "LDL-SES",
        patient=PATIENT,
        author={"idnatps": "810000000009", "family": "MARTIN", "given": "Bernard", "profession_code": "10"},
        custodian={"idnatst": "1750000002", "name": "CH homolog"},
    )
    meta = metadata_xml(
        file_name="DOC0001.XML",
        content=cda,
        patient_id=f"{PATIENT['ins']}^^^&{PATIENT['ins_oid']}&ISO^NH",
        local_id="pat-qual^^^&1.2.3&ISO^PI",
        type_code=("11490-0", "2.16.840.1.113883.6.1", "Lettre de liaison"),
        format_code="urn:asip:ci-sis:ldl-ses",
    )
    msg = build_message(
        sender=sender,
        recipient="paul.generaliste@medecin.mssante.fr",
        recipient_name="Dr Paul GENERALISTE",
        subject="XDM/1.0/DDM+Lettre de liaison",
        body="Bonjour,\n",
        xdm=build_xdm(cda, meta, title="Lettre de liaison"),
        headers={"X-MSS-NIL": "BENCH", "X-MSS-INS": "O", "X-MSS-CODECDA": "11490-0"},
    )
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


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


def demo_part(tmp: Path) -> tuple[float, float, int]:
    """(simulator start+stop s, run of the sending requirements s, requirements passed)."""
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
    return started + stopped, run, passed


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
        raw = letter(sim.mailbox)
        ctx = client_context(sim, Path(tmp))
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
        lifecycle_s, run_s, passed = demo_part(Path(tmp))
        print(
            f"demo part: simulator start+stop {lifecycle_s:.2f} s, the 9 sending requirements"
            f" {run_s:.2f} s in-process ({passed} passed)"
        )


if __name__ == "__main__":
    main()
