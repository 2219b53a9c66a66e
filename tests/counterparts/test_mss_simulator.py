"""The MSSanté simulator over real SMTP on 127.0.0.1: TLS, client certificates, records, hostile clients."""

from __future__ import annotations

import json
import random
import smtplib
import socket
import ssl
import time
import warnings
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from mss_samples import RECIPIENT, SENDER, message, xxe_archive, zip_of

from homolog.counterparts import Counterpart, declared, describe, start_counterparts
from homolog.counterparts.mss import MssControl, MssControlError, MssSimulator
from homolog.counterparts.mss.pki import CertificateAuthority
from homolog.counterparts.mss.smtp import MSS_TLS12_CIPHERS


@pytest.fixture(scope="module")
def sim() -> Iterator[MssSimulator]:
    with MssSimulator(data_size_limit=2 * 1024 * 1024, idle_timeout=2.0) as s:
        yield s


@pytest.fixture(scope="module")
def client_cert(sim: MssSimulator, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return sim.write_client_certificate(tmp_path_factory.mktemp("client"))


def _context(sim: MssSimulator, cert: tuple[Path, Path] | None, *, max_version: ssl.TLSVersion | None = None) -> Any:
    ctx = ssl.create_default_context(cafile=str(sim.ca_file))
    if max_version is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.1 is the point of the test
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = max_version
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    if cert is not None:
        ctx.load_cert_chain(*cert)
    return ctx


def _send(sim: MssSimulator, msg: EmailMessage | bytes, *, kind: str = "starttls", ctx: Any = None) -> None:
    host, port = sim.smtp_address if kind != "implicit" else sim.smtps_address
    smtp = (
        smtplib.SMTP_SSL(host, port, context=ctx, timeout=10)
        if kind == "implicit"
        else smtplib.SMTP(host, port, timeout=10)
    )
    with smtp:
        smtp.ehlo("client.test")
        if kind == "starttls":
            smtp.starttls(context=ctx)
            smtp.ehlo("client.test")
        if isinstance(msg, bytes):
            smtp.sendmail(SENDER, [RECIPIENT], msg)
        else:
            smtp.send_message(msg, from_addr=SENDER, to_addrs=[RECIPIENT])


def _last(sim: MssSimulator, since: dict[str, int]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    deadline = time.monotonic() + 30  # a bound, not a speed: a loaded machine ends sessions late
    while time.monotonic() < deadline:
        sessions = sim.sessions(since["sessions"])
        if sessions and all(s["ended"] for s in sessions):
            break
        time.sleep(0.05)
    return sim.sessions(since["sessions"]), sim.messages(since["messages"])


def _codes(records: list[dict[str, Any]]) -> set[str]:
    return {f["code"] for r in records for f in r["findings"]}


def test_starttls_with_the_organisation_certificate_is_clean_and_recorded(sim: MssSimulator, client_cert: Any) -> None:
    since = sim.counters()
    _send(sim, message(), ctx=_context(sim, client_cert))
    sessions, messages = _last(sim, since)
    (session,) = sessions
    (msg,) = messages
    assert session["tls"]["version"] in ("TLSv1.2", "TLSv1.3")
    assert sim.mailbox in session["tls"]["client_certificate"]["subject"]
    assert msg["accepted"] and msg["findings"] == [] and msg["documents"][0]["cda"]["qualified"]
    assert ["C", "STARTTLS"] in session["transcript"]
    # the control API serves the same records, the message and its document
    control = MssControl(sim.control_url)
    assert control.messages(since["messages"])[0]["seq"] == msg["seq"]
    assert b"IHE_XDM.ZIP" in control.raw_message(msg["seq"])
    assert control.document(msg["seq"], 0) == cda_bytes_of(control, msg["seq"])
    assert control.counters()["messages"] == msg["seq"] + 1


def cda_bytes_of(control: MssControl, seq: int) -> bytes:
    data = control.document(seq, 0)
    assert data.startswith(b"<?xml") and b"ClinicalDocument" in data
    return data


def test_tls12_uses_an_mssante_suite_and_implicit_tls_works(sim: MssSimulator, client_cert: Any) -> None:
    since = sim.counters()
    _send(sim, message(), ctx=_context(sim, client_cert, max_version=ssl.TLSVersion.TLSv1_2))
    _send(sim, message(), kind="implicit", ctx=_context(sim, client_cert))
    sessions, messages = _last(sim, since)
    assert [s["port"] for s in sessions] == ["starttls", "implicit"]
    assert sessions[0]["tls"]["cipher"] in MSS_TLS12_CIPHERS.split(":")
    assert all(m["findings"] == [] for m in messages) and len(messages) == 2


def test_plain_smtp_is_accepted_and_judged(sim: MssSimulator) -> None:
    since = sim.counters()
    _send(sim, message(), kind="plain")
    sessions, messages = _last(sim, since)
    assert sessions[0]["tls"] is None
    assert {"plaintext", "no-client-certificate"} <= _codes(messages)


def test_no_client_certificate_is_a_finding(sim: MssSimulator) -> None:
    since = sim.counters()
    _send(sim, message(), ctx=_context(sim, None))
    sessions, messages = _last(sim, since)
    assert sessions[0]["tls"]["client_certificate"] is None
    assert _codes(messages) == {"no-client-certificate"}


def test_a_certificate_of_another_ca_ends_the_handshake(sim: MssSimulator, tmp_path: Path) -> None:
    issued = CertificateAuthority("rogue CA").client_certificate(SENDER, organisation="x", structure_id="1")
    (tmp_path / "c.pem").write_bytes(issued.chain_pem)
    (tmp_path / "k.pem").write_bytes(issued.key_pem)
    since = sim.counters()
    with pytest.raises((ssl.SSLError, smtplib.SMTPException, OSError)):
        _send(sim, message(), ctx=_context(sim, (tmp_path / "c.pem", tmp_path / "k.pem")))
    sessions, messages = _last(sim, since)
    assert messages == [] and sessions[0]["handshake_error"]
    assert _codes(sessions) == {"client-certificate-refused"}


def test_tls11_and_plain_bytes_on_the_tls_port_are_refused_and_recorded(sim: MssSimulator, client_cert: Any) -> None:
    since = sim.counters()
    with pytest.raises((ssl.SSLError, smtplib.SMTPException, OSError)):
        _send(sim, message(), ctx=_context(sim, client_cert, max_version=ssl.TLSVersion.TLSv1_1))
    with socket.create_connection(sim.smtps_address, timeout=5) as raw:
        raw.sendall(b"EHLO plain.client\r\n")
        while raw.recv(100):  # a TLS alert at most, then the server closes (a hang times out)
            pass
    sessions, _ = _last(sim, since)
    assert len(sessions) == 2 and all(s["handshake_error"] for s in sessions)
    assert all(f["aspect"] == "transport" for s in sessions for f in s["findings"])


def test_a_message_over_the_size_limit_is_drained_refused_and_recorded(sim: MssSimulator, client_cert: Any) -> None:
    noise = random.Random(0).randbytes(3 * 1024 * 1024)  # incompressible: the message exceeds 2 MiB
    big = message(zip_of({"IHE_XDM/S/BIG.BIN": noise}))
    since = sim.counters()
    with pytest.raises(smtplib.SMTPException):
        _send(sim, big, ctx=_context(sim, client_cert))  # smtplib declares SIZE: refused at MAIL
    host, port = sim.smtp_address
    with smtplib.SMTP(host, port, timeout=30) as smtp:  # no SIZE: the data is drained, then refused
        smtp.starttls(context=_context(sim, client_cert))
        smtp.ehlo("client.test")
        smtp.mail(SENDER)
        smtp.rcpt(RECIPIENT)
        code, _ = smtp.data(big.as_bytes(policy=big.policy.clone(linesep="\r\n")))
        assert code == 552
        smtp.mail(SENDER)
        smtp.rcpt(RECIPIENT)
        code, _ = smtp.data(message().as_bytes())  # bare LF: one endless line
        assert code == 500
    _send(sim, message(), ctx=_context(sim, client_cert))  # and it still serves the next one
    _, messages = _last(sim, since)
    assert [m["accepted"] for m in messages] == [False, False, False, True]
    assert all(m["reply"].startswith("552") for m in messages[:2]) and _codes(messages[:2]) == {"too-large"}
    assert messages[1]["rcpt_tos"] == [RECIPIENT]
    assert _codes(messages[2:3]) == {"data-refused"}


def test_a_client_still_sending_is_not_idle_and_one_gone_silent_mid_message_is_cut(
    sim: MssSimulator, client_cert: Any
) -> None:
    # The fixture's idle timeout is 2 s. A slow link, a large message or a loaded machine
    # makes DATA outlast it; only silence is idleness (the timer used to run from the DATA
    # command, and cut a client that was still sending).
    raw = message().as_bytes(policy=message().policy.clone(linesep="\r\n"))
    assert not any(line.startswith(b".") for line in raw.split(b"\r\n"))  # no dot-stuffing needed
    size = len(raw) // 8 + 1
    pieces = [raw[i : i + size] for i in range(0, len(raw), size)]  # 8 pieces
    since = sim.counters()
    host, port = sim.smtp_address
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        smtp.starttls(context=_context(sim, client_cert))
        smtp.ehlo("client.test")
        smtp.mail(SENDER)
        smtp.rcpt(RECIPIENT)
        smtp.putcmd("data")
        assert smtp.getreply()[0] == 354
        started = time.monotonic()
        for piece in pieces:
            smtp.send(piece)
            time.sleep(0.5)
        smtp.send(b"\r\n.\r\n")
        assert smtp.getreply()[0] == 250
        assert time.monotonic() - started > 1.5 * 2.0  # well past the timeout: it was tested
        smtp.mail(SENDER)
        smtp.rcpt(RECIPIENT)
        smtp.putcmd("data")
        assert smtp.getreply()[0] == 354
        smtp.send(pieces[0])
        silent = time.monotonic()
        with pytest.raises(smtplib.SMTPServerDisconnected):
            smtp.getreply()  # nothing more is sent: the server cuts the connection
        assert time.monotonic() - silent < 8
    _, messages = _last(sim, since)
    assert [m["accepted"] for m in messages] == [True]


def test_xxe_through_smtp_is_refused_and_not_expanded(sim: MssSimulator, client_cert: Any, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("MARKER-0b1e-not-to-be-read")
    archive = xxe_archive(secret)
    since = sim.counters()
    _send(sim, message(archive), ctx=_context(sim, client_cert))
    _, messages = _last(sim, since)
    assert "xml-doctype" in _codes(messages)
    served = httpx.get(f"{sim.control_url}/messages?since={since['messages']}", timeout=5).text
    assert "MARKER" not in served and "MARKER" not in json.dumps(sim.sessions(since["sessions"]))


def test_a_silent_client_is_cut_after_the_idle_timeout(sim: MssSimulator) -> None:
    since = sim.counters()
    with socket.create_connection(sim.smtp_address, timeout=10) as raw:
        raw.settimeout(10)
        assert raw.recv(100).startswith(b"220")
        start = time.monotonic()
        assert raw.recv(100) == b""  # the server closes on us
        assert time.monotonic() - start < 8
    sessions, _ = _last(sim, since)
    assert sessions[0]["ended"] is not None


def test_a_client_silent_after_starttls_is_cut_too(sim: MssSimulator) -> None:
    since = sim.counters()
    with socket.create_connection(sim.smtp_address, timeout=10) as raw:
        raw.settimeout(10)
        raw.recv(100)
        raw.sendall(b"EHLO c\r\nSTARTTLS\r\n")
        start = time.monotonic()
        while raw.recv(100):  # the 250 and 220 replies, then nothing: no ClientHello is sent
            pass
        assert time.monotonic() - start < 8
    sessions, _ = _last(sim, since)
    assert sessions[0]["ended"] is not None and ["C", "STARTTLS"] in sessions[0]["transcript"]


def test_the_control_api_needs_the_secret_and_bounds_requests(sim: MssSimulator) -> None:
    origin = sim.control_url.rsplit("/_homolog/", 1)[0]
    assert httpx.get(f"{origin}/_homolog/wrong/messages", timeout=5).status_code == 404
    assert httpx.get(f"{sim.control_url}/messages/999999/raw", timeout=5).status_code == 404
    assert httpx.post(f"{sim.control_url}/reset", content=b"x" * 100_000, timeout=5).status_code == 413
    with pytest.raises(MssControlError):
        MssControl("http://example.org/_homolog/x")
    issued = MssControl(sim.control_url).client_certificate()
    assert "BEGIN CERTIFICATE" in issued["certificate_pem"] and sim.mailbox in issued["subject"]


def test_stop_frees_the_ports() -> None:
    with MssSimulator() as s:
        ports = [s.smtp_address[1], s.smtps_address[1]]
        control = s.control_url
    for port in ports:
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0
    with pytest.raises(MssControlError):
        MssControl(control, timeout=1).info()


def test_a_target_declared_simulator_is_started_by_name_and_recorded_for_the_checks() -> None:
    # What `homolog run` does with `counterparts: {mss: {...}}` in a target.
    specs = declared({"mss": {"port": 0, "options": {"idle_timeout": 5.0}}})
    with start_counterparts(specs) as started:
        mss = started["mss"]
        assert isinstance(mss, MssSimulator) and isinstance(mss, Counterpart)
        assert mss.idle_timeout == 5.0
        recorded = describe("mss", mss)["settings"]["counterparts"]["mss"]
        assert recorded == {"url": mss.url, "control_url": mss.control_url}
        assert MssControl(recorded["control_url"]).info()["smtp"] == recorded["url"]
        port = mss.smtp_address[1]
    with socket.socket() as s:
        s.settimeout(0.5)
        assert s.connect_ex(("127.0.0.1", port)) != 0  # stopped with the block
