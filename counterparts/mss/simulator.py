"""An MSSanté operator on 127.0.0.1: it receives the SUT's messages over SMTP and judges them.

What it serves:

- SMTP submission with STARTTLS (``url``, ``smtp://127.0.0.1:PORT``) and with implicit
  TLS (``implicit_tls_url``, ``smtps://127.0.0.1:PORT``); TLS 1.2 (MSSanté suites) or 1.3;
  a client certificate issued by the simulator's CA (``ca_file``, standing in for
  IGC-Santé) authenticates the SUT's application mailbox;
- a JSON control API under ``control_url`` (``http://127.0.0.1:PORT/_homolog/<secret>``),
  which ``MssControl`` reads from any process. The secret keeps the SUT, which knows only
  the SMTP addresses, from reading or steering its own test.

Control API:

- ``GET {control_url}/info``: addresses, mailbox, operator domains, limits, CA (PEM),
  counters (``sessions``, ``messages``: the next sequence numbers);
- ``GET {control_url}/sessions?since=N``: connections (port, TLS version and cipher,
  client certificate, handshake error, transcript, findings), oldest first;
- ``GET {control_url}/messages?since=N``: messages (envelope, recorded headers,
  attachments, XDM summary, CDA facts, findings), oldest first;
- ``GET {control_url}/messages/<seq>/raw``: the message as received (``message/rfc822``);
- ``GET {control_url}/messages/<seq>/documents/<i>``: the i-th document of its XDM archive;
- ``POST {control_url}/client-certificate`` ``{"mailbox": ...}``: a new client certificate
  and key (PEM) for a mailbox of this operator;
- ``POST {control_url}/reset``: forget every record.

Records are bounded (the last 1000 sessions and messages, raw content within a byte
budget); findings use the vocabulary of ``findings.ASPECTS``.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import Envelope

from homolog.counterparts import LOOPBACK, TargetAdditions

from ..certificates import write_server_files
from ..listeners import ControlApi
from .findings import Finding
from .judge import JudgeConfig, address_domain, judge_message
from .pki import CertificateAuthority, IssuedCertificate
from .smtp import PortKind, SmtpListeners, server_tls_context
from .xdm import INS_OIDS, XdmLimits

__all__ = ["DEFAULT_DOMAIN", "MssSimulator"]

DEFAULT_DOMAIN = "ch-demo.homolog.mssante.fr"
_MAX_RECORDS = 1000
_RAW_BUDGET = 96 * 1024 * 1024
_MAX_CONTROL_BODY = 16 * 1024
_TLS12 = ("TLSv1.2", "TLSv1.3")


class MssSimulator:
    """An MSSanté operator's SMTP submission service, for tests and demos.

    Keyword arguments: ``host`` (127.0.0.1), ``port`` (STARTTLS) and ``implicit_port``
    (0: free ports), ``operator_domain`` (the domain of the mailboxes it hosts),
    ``mailbox`` (the SUT's application mailbox; ``dpi@<operator_domain>`` by default),
    ``organisation`` / ``structure_id`` (put in the client certificate),
    ``data_size_limit`` (bytes per message), ``idle_timeout`` (seconds), ``ins_oids``.
    """

    def __init__(
        self,
        *,
        host: str = LOOPBACK,
        port: int = 0,
        implicit_port: int = 0,
        operator_domain: str = DEFAULT_DOMAIN,
        mailbox: str | None = None,
        organisation: str = "Centre hospitalier de démonstration homolog",
        structure_id: str = "1750000002",
        data_size_limit: int = 10 * 1024 * 1024,
        idle_timeout: float = 30.0,
        ins_oids: tuple[str, ...] = INS_OIDS,
    ) -> None:
        if host != LOOPBACK:
            raise ValueError(f"the MSSanté simulator listens on {LOOPBACK} only, not {host!r}")
        self.host = host
        self.operator_domain = operator_domain.lower()
        self.mailbox = (mailbox or f"dpi@{self.operator_domain}").lower()
        if address_domain(self.mailbox) != self.operator_domain:
            raise ValueError(f"mailbox {self.mailbox!r} is not in the operator domain {self.operator_domain!r}")
        self.organisation = organisation
        self.structure_id = structure_id
        self.data_size_limit = data_size_limit
        self.idle_timeout = idle_timeout
        self.judge_config = JudgeConfig(
            operator_domains=(self.operator_domain,), ins_oids=tuple(ins_oids), limits=XdmLimits()
        )
        self._ports = (port, implicit_port)
        self._lock = threading.Lock()
        self._sessions: list[dict[str, Any]] = []
        self._messages: list[dict[str, Any]] = []
        self._raw: dict[int, tuple[bytes, list[bytes]]] = {}
        self._raw_bytes = 0
        self._next_session = 0
        self._next_message = 0
        self.ca = CertificateAuthority()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._listeners: SmtpListeners | None = None
        self._control = ControlApi("mss", self._control_call, max_body=_MAX_CONTROL_BODY)

    # ---- lifecycle -------------------------------------------------------------
    def start(self) -> MssSimulator:
        """Write the CA and server certificate to a private folder, bind the three ports."""
        self._tmp = tempfile.TemporaryDirectory(prefix="homolog-mss-")
        folder = Path(self._tmp.name)
        server = self.ca.server_certificate()
        key = folder / "server-key.pem"
        write_server_files(self.ca, server, ca_file=folder / "ca.pem", cert_file=folder / "server.pem", key_file=key)
        tls = server_tls_context(str(folder / "server.pem"), str(key), str(folder / "ca.pem"))
        # The key is in memory now; it need not outlive the context's creation on disk.
        key.unlink()
        try:
            self._listeners = SmtpListeners(
                self,
                tls,
                host=self.host,
                ports=self._ports,
                data_size_limit=self.data_size_limit,
                idle_timeout=self.idle_timeout,
            )
            self._listeners.start()
            self._control.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop listening, cut open connections, remove the certificate folder (idempotent)."""
        self._control.stop()
        if self._listeners is not None:
            self._listeners.stop()
            self._listeners = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> MssSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- addresses ---------------------------------------------------------------
    def _address(self, kind: PortKind) -> tuple[str, int]:
        if self._listeners is None or kind not in self._listeners.addresses:
            raise RuntimeError("the simulator is not started")
        return self._listeners.addresses[kind]

    @property
    def smtp_address(self) -> tuple[str, int]:
        """(host, port) of the STARTTLS submission listener."""
        return self._address("starttls")

    @property
    def smtps_address(self) -> tuple[str, int]:
        """(host, port) of the implicit-TLS listener."""
        return self._address("implicit")

    @property
    def url(self) -> str:
        """``smtp://127.0.0.1:PORT``: submission with STARTTLS."""
        host, port = self.smtp_address
        return f"smtp://{host}:{port}"

    @property
    def implicit_tls_url(self) -> str:
        """``smtps://127.0.0.1:PORT``: submission over implicit TLS."""
        host, port = self.smtps_address
        return f"smtps://{host}:{port}"

    @property
    def control_url(self) -> str:
        """Base URL of the control API (contains the simulator's secret)."""
        return self._control.url

    def target_additions(self) -> TargetAdditions:
        """Nothing beyond ``settings.counterparts.mss`` (``url``, ``control_url``), which every run records.

        The checks reach the simulator through its control API only (the ``counterpart``
        fixture); the SUT's own settings (``settings.mss.trigger``) are the vendor's to write.
        """
        return TargetAdditions()

    @property
    def ca_file(self) -> Path:
        """The CA certificate (PEM) the SUT must trust; exists while the simulator runs."""
        if self._tmp is None:
            raise RuntimeError("the simulator is not started")
        return Path(self._tmp.name) / "ca.pem"

    # ---- certificates --------------------------------------------------------------
    def issue_client_certificate(self, mailbox: str | None = None) -> IssuedCertificate:
        """An organisation certificate for one of this operator's mailboxes."""
        box = (mailbox or self.mailbox).lower()
        if address_domain(box) != self.operator_domain:
            raise ValueError(f"{box!r} is not a mailbox of {self.operator_domain}")
        return self.ca.client_certificate(box, organisation=self.organisation, structure_id=self.structure_id)

    def write_client_certificate(self, folder: Path, mailbox: str | None = None) -> tuple[Path, Path]:
        """Write ``mss-client.pem`` (leaf + CA) and ``mss-client-key.pem`` (mode 600) into folder."""
        issued = self.issue_client_certificate(mailbox)
        folder.mkdir(parents=True, exist_ok=True)
        cert, key = folder / "mss-client.pem", folder / "mss-client-key.pem"
        cert.write_bytes(issued.chain_pem)
        key.write_bytes(issued.key_pem)
        key.chmod(0o600)
        return cert, key

    # ---- records (read side) ---------------------------------------------------------
    def sessions(self, since: int = 0) -> list[dict[str, Any]]:
        """Sessions with ``seq >= since``, oldest first (deep copies)."""
        with self._lock:
            return [json.loads(json.dumps(s)) for s in self._sessions if s["seq"] >= since]

    def messages(self, since: int = 0) -> list[dict[str, Any]]:
        """Messages with ``seq >= since``, oldest first (deep copies)."""
        with self._lock:
            return [json.loads(json.dumps(m)) for m in self._messages if m["seq"] >= since]

    def raw_message(self, seq: int) -> bytes | None:
        """The message as received (None when unknown or evicted)."""
        with self._lock:
            entry = self._raw.get(seq)
            return entry[0] if entry else None

    def document(self, seq: int, index: int) -> bytes | None:
        """The index-th document of the message's XDM archive (None when absent)."""
        with self._lock:
            entry = self._raw.get(seq)
            if entry is None or not 0 <= index < len(entry[1]):
                return None
            return entry[1][index]

    def counters(self) -> dict[str, int]:
        """The next session and message sequence numbers (a ``since`` for later reads)."""
        with self._lock:
            return {"sessions": self._next_session, "messages": self._next_message}

    def reset(self) -> None:
        """Forget every record."""
        with self._lock:
            self._sessions.clear()
            self._messages.clear()
            self._raw.clear()
            self._raw_bytes = 0

    def info(self) -> dict[str, Any]:
        """What a client or a check needs to know about this simulator."""
        return {
            "smtp": self.url,
            "smtps": self.implicit_tls_url,
            "mailbox": self.mailbox,
            "operator_domains": list(self.judge_config.operator_domains),
            "trust_suffixes": list(self.judge_config.trust_suffixes),
            "data_size_limit": self.data_size_limit,
            "ca_pem": self.ca.pem.decode("ascii"),
            "counters": self.counters(),
        }

    # ---- SessionSink (called from the SMTP thread) -------------------------------------
    def open_session(self, kind: PortKind, peer: str) -> dict[str, Any]:
        with self._lock:
            record: dict[str, Any] = {
                "seq": self._next_session,
                "port": kind,
                "peer": peer,
                "started": time.time(),
                "ended": None,
                "tls": None,
                "handshake_error": None,
                "mail_in_clear": False,
                "messages": [],
                "transcript": [],
                "findings": [],
            }
            self._next_session += 1
            self._sessions.append(record)
            del self._sessions[:-_MAX_RECORDS]
            return record

    def tls_established(self, session: dict[str, Any], info: dict[str, Any]) -> None:
        with self._lock:
            session["tls"] = info
            if info.get("version") not in _TLS12:
                self._finding(session, Finding("transport", "tls-version", f"TLS version {info.get('version')} < 1.2"))

    def line(self, session: dict[str, Any], direction: str, text: str) -> None:
        with self._lock:
            transcript = session["transcript"]
            if len(transcript) < 200:
                transcript.append([direction, text])
            elif len(transcript) == 200:
                transcript.append(["!", "transcript truncated"])

    def mail_command(self, session: dict[str, Any]) -> None:
        with self._lock:
            tls = session["tls"]
            if tls is None:
                session["mail_in_clear"] = True
                self._finding(
                    session,
                    Finding(
                        "transport",
                        "plaintext",
                        f"a mail transaction was started in clear on the {session['port']} port (no STARTTLS)",
                    ),
                )
                self._finding(
                    session,
                    Finding("authentication", "no-client-certificate", "no TLS, hence no client certificate"),
                )
            elif tls.get("client_certificate") is None:
                self._finding(
                    session,
                    Finding(
                        "authentication",
                        "no-client-certificate",
                        "the client presented no certificate: the operator cannot authenticate the sending structure",
                    ),
                )

    def handshake_failed(self, session: dict[str, Any], reason: str) -> None:
        with self._lock:
            session["handshake_error"] = reason[:300]
            upper = reason.upper()
            if "CERTIFICATE" in upper or "UNKNOWN_CA" in upper or "UNKNOWN CA" in upper:
                self._finding(
                    session,
                    Finding(
                        "authentication",
                        "client-certificate-refused",
                        f"the TLS handshake failed on the client certificate: {reason[:200]}",
                    ),
                )
            else:
                self._finding(
                    session, Finding("transport", "handshake-failed", f"the TLS handshake failed: {reason[:200]}")
                )

    def _finding(self, record: dict[str, Any], finding: Finding) -> None:
        # Called with the lock held. One finding per code per session is enough.
        if all(f["code"] != finding.code for f in record["findings"]):
            record["findings"].append(finding.to_dict())

    def _new_message(self, session: dict[str, Any], envelope: Envelope) -> dict[str, Any]:
        # Called with the lock held.
        record: dict[str, Any] = {
            "seq": self._next_message,
            "session": session["seq"],
            "received": time.time(),
            "port": session["port"],
            "tls": json.loads(json.dumps(session["tls"])),
            "mail_from": (envelope.mail_from or "")[:320],
            "rcpt_tos": [r[:320] for r in envelope.rcpt_tos[:100]],
            "size": 0,
            "accepted": False,
            "reply": "",
            "headers": {},
            "attachments": [],
            "xdm": None,
            "documents": [],
            "findings": [dict(f) for f in session["findings"]],
        }
        self._next_message += 1
        session["messages"].append(record["seq"])
        return record

    def message(self, session: dict[str, Any], envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        judgement = judge_message(envelope.mail_from or "", list(envelope.rcpt_tos), raw, self.judge_config)
        documents = judgement.xdm.documents if judgement.xdm else []
        with self._lock:
            record = self._new_message(session, envelope)
            record.update(
                size=len(raw),
                accepted=True,
                headers=judgement.headers,
                attachments=judgement.attachments,
                xdm=None if judgement.xdm is None else judgement.xdm.to_dict(),
                documents=[{"index": i, **d.to_dict()} for i, d in enumerate(documents)],
            )
            record["findings"].extend(f.to_dict() for f in judgement.findings)
            record["reply"] = f"250 2.0.0 Ok: queued as {record['seq']}"
            self._keep_raw(record["seq"], raw, [d.content for d in documents])
            self._messages.append(record)
            del self._messages[:-_MAX_RECORDS]
            return str(record["reply"])

    def refused(self, session: dict[str, Any], envelope: Envelope | None, reply: str) -> None:
        with self._lock:
            record = self._new_message(session, envelope or Envelope())
            record["reply"] = reply[:200]
            if reply.startswith("552"):
                finding = Finding(
                    "message",
                    "too-large",
                    f"the message exceeds the operator's limit of {self.data_size_limit} bytes and was refused",
                )
            else:
                finding = Finding("message", "data-refused", f"the message data was refused: {reply[:200]}")
            record["findings"].append(finding.to_dict())
            self._messages.append(record)
            del self._messages[:-_MAX_RECORDS]

    def close_session(self, session: dict[str, Any]) -> None:
        with self._lock:
            session["ended"] = time.time()

    def _keep_raw(self, seq: int, raw: bytes, documents: list[bytes]) -> None:
        # Called with the lock held: keep the newest content within the byte budget.
        size = len(raw) + sum(map(len, documents))
        self._raw[seq] = (raw, documents)
        self._raw_bytes += size
        while self._raw_bytes > _RAW_BUDGET and len(self._raw) > 1:
            oldest = min(self._raw)
            old_raw, old_docs = self._raw.pop(oldest)
            self._raw_bytes -= len(old_raw) + sum(map(len, old_docs))

    # ---- control API -------------------------------------------------------------------
    def _control_call(self, method: str, path: str, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        def since() -> int:
            try:
                return max(0, int(query.get("since", "0")))
            except ValueError:
                return 0

        parts = [p for p in path.split("/") if p]
        if method == "GET" and parts == ["info"]:
            return 200, self.info()
        if method == "GET" and parts == ["sessions"]:
            return 200, self.sessions(since())
        if method == "GET" and parts == ["messages"]:
            return 200, self.messages(since())
        if method == "GET" and len(parts) >= 3 and parts[0] == "messages" and parts[1].isdigit():
            seq = int(parts[1])
            if parts[2:] == ["raw"]:
                raw = self.raw_message(seq)
                return (200, raw) if raw is not None else (404, {"error": f"no content kept for message {seq}"})
            if len(parts) == 4 and parts[2] == "documents" and parts[3].isdigit():
                doc = self.document(seq, int(parts[3]))
                return (200, doc) if doc is not None else (404, {"error": f"no document {parts[3]} in message {seq}"})
        if method == "POST" and parts == ["reset"]:
            self.reset()
            return 200, {"ok": True}
        if method == "POST" and parts == ["client-certificate"]:
            try:
                issued = self.issue_client_certificate(body.get("mailbox") if isinstance(body, dict) else None)
            except ValueError as exc:
                return 400, {"error": str(exc)}
            return 200, {
                "certificate_pem": issued.chain_pem.decode("ascii"),
                "key_pem": issued.key_pem.decode("ascii"),
                "subject": issued.subject,
            }
        return 404, {"error": f"unknown control action {method} {path}"}
