"""Bad input to the MSSanté simulator, sent by a hostile SUT: a failed verdict with the reason, no hang.

The SUT here is a small HTTP server whose trigger (``POST /send``) makes one crafted SMTP
submission to the simulator: in clear, 50 MB, malformed MIME, XXE in METADATA.XML, a zip
bomb, or nothing at all.
"""

from __future__ import annotations

import random
import smtplib
import ssl
import threading
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from mss_samples import RECIPIENT, SENDER, message, xxe_archive, zip_of

from homolog.counterparts.mss import MssSimulator
from homolog.testing import run_check


def _submit(sim: MssSimulator, msg: EmailMessage | bytes, *, tls: bool, cert: tuple[Path, Path] | None) -> None:
    host, port = sim.smtp_address
    ctx = ssl.create_default_context(cafile=str(sim.ca_file))
    if cert:
        ctx.load_cert_chain(*cert)
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        smtp.ehlo("hostile.test")
        if tls:
            smtp.starttls(context=ctx)
            smtp.ehlo("hostile.test")
        try:
            if isinstance(msg, bytes):
                smtp.sendmail(SENDER, [RECIPIENT], msg)
            else:
                smtp.send_message(msg, from_addr=SENDER, to_addrs=[RECIPIENT])
        except smtplib.SMTPException:
            pass  # a refusal is the simulator's business; the check reads its records


class _Sut:
    """An HTTP server whose ``POST /send`` runs ``action`` (the SUT's "send" button)."""

    def __init__(self, action: Callable[[], None]) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.action()
                body = b'{"status": "sent"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.action = action
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[Callable[[Callable[[MssSimulator, tuple[Path, Path]], None]], Path]]:
    """Factory: ``hostile(send)`` -> target path of a SUT whose trigger calls ``send(sim, cert)``."""
    opened: list[Any] = []

    def make(send: Callable[[MssSimulator, tuple[Path, Path]], None]) -> Path:
        sim = MssSimulator().start()
        opened.append(sim)
        cert = sim.write_client_certificate(tmp_path / "cert")
        sut = _Sut(lambda: send(sim, cert))
        opened.append(sut)
        target = {
            "format": "homolog.target/1",
            "system": {"name": "hostile SUT", "version": "0"},
            "base_urls": {"web": f"http://127.0.0.1:{sut.server.server_address[1]}"},
            "settings": {
                "mss": {
                    "trigger": {"method": "POST", "base": "web", "path": "/send", "json": {}},
                    "wait_seconds": 3,
                },
                # what a run that started the simulator records (homolog.counterparts.describe)
                "counterparts": {"mss": {"url": sim.url, "control_url": sim.control_url}},
            },
        }
        path = tmp_path / "target.yaml"
        path.write_text(yaml.safe_dump(target), encoding="utf-8")
        return path

    yield make
    for thing in reversed(opened):
        (thing.stop if isinstance(thing, MssSimulator) else thing.close)()


def _evidence_text(result: Any) -> str:
    return "".join(Path(p).read_text("utf-8", "replace") for p in result.evidence if Path(p).is_file())


@pytest.mark.timeout(120)
def test_a_non_tls_client_fails_the_transport_check(hostile: Any, tmp_path: Path) -> None:
    target = hostile(lambda sim, cert: _submit(sim, message(), tls=False, cert=None))
    res = run_check("mss.sending.tls", target, tmp_path=tmp_path)
    assert res.verdict == "failed" and "in clear" in res.message


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_50_mb_attachment_fails_with_the_operator_limit(hostile: Any, tmp_path: Path) -> None:
    scan = random.Random(0).randbytes(50 * 1024 * 1024)  # a scanned PDF does not compress
    huge = message(zip_of({"IHE_XDM/S/SCAN.PDF": b"%PDF" + scan}))
    target = hostile(lambda sim, cert: _submit(sim, huge, tls=True, cert=cert))
    res = run_check("mss.sending.xdm_archive", target, tmp_path=tmp_path)
    assert res.verdict == "failed" and "exceeds the operator's limit" in res.message


@pytest.mark.timeout(120)
def test_malformed_mime_fails_the_archive_check(hostile: Any, tmp_path: Path) -> None:
    broken = (
        b'Content-Type: multipart/mixed; boundary="b"\r\nX-MSS-NIL: x\r\n\r\n--b\r\n'
        b"Content-Type: application/zip\r\nContent-Disposition: attachment; filename=IHE_XDM.ZIP\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n"
    )
    target = hostile(lambda sim, cert: _submit(sim, broken, tls=True, cert=cert))
    res = run_check("mss.sending.xdm_archive", target, tmp_path=tmp_path)
    assert res.verdict == "failed" and "zip" in res.message


@pytest.mark.timeout(120)
def test_xxe_in_metadata_fails_and_is_never_expanded(hostile: Any, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("MARKER-51c2-not-to-be-read")
    archive = xxe_archive(secret)
    target = hostile(lambda sim, cert: _submit(sim, message(archive), tls=True, cert=cert))
    res = run_check("mss.sending.xdm_archive", target, tmp_path=tmp_path)
    assert res.verdict == "failed" and "DOCTYPE" in res.message
    assert "MARKER" not in res.message + _evidence_text(res)


@pytest.mark.timeout(120)
def test_a_zip_bomb_fails_and_is_not_inflated(hostile: Any, tmp_path: Path) -> None:
    bomb = zip_of({"INDEX.HTM": b"x", "README.TXT": b"x", "IHE_XDM/S/DOC.XML": bytes(200 * 1024 * 1024)})
    target = hostile(lambda sim, cert: _submit(sim, message(bomb), tls=True, cert=cert))
    res = run_check("mss.sending.xdm_archive", target, tmp_path=tmp_path)
    assert res.verdict == "failed" and "expands to" in res.message


@pytest.mark.timeout(120)
def test_a_sut_that_sends_nothing_is_an_error_not_a_pass(hostile: Any, tmp_path: Path) -> None:
    target = hostile(lambda sim, cert: None)
    for check in ("mss.sending.tls", "mss.sending.header_nil", "mss.sending.addresses"):
        (tmp_path / check).mkdir()
        res = run_check(check, target, tmp_path=tmp_path / check)
        assert res.verdict == "error" and "nothing reached the MSSanté simulator" in res.message


@pytest.mark.timeout(120)
def test_a_target_without_simulator_or_trigger_is_an_error_naming_the_key(tmp_path: Path) -> None:
    target = tmp_path / "t.yaml"
    target.write_text(
        yaml.safe_dump(
            {
                "format": "homolog.target/1",
                "system": {"name": "x", "version": "0"},
                "base_urls": {"web": "http://127.0.0.1:9"},
            }
        ),
        encoding="utf-8",
    )
    res = run_check("mss.sending.tls", target, tmp_path=tmp_path)
    assert res.verdict == "error" and "no counterpart 'mss'" in res.message
