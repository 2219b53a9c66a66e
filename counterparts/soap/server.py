"""The two listeners of a SOAP simulator: the service (HTTPS) and its control API (HTTP).

The service listener does the TLS handshake in the request thread (one silent client
cannot block the others or the shutdown), refuses a body without ``Content-Length`` or
above ``max_body`` before reading it, and reads with an overall deadline: a client that
drips its request is cut, never waited for. Rejections are recorded like any exchange.

The control listener serves JSON under ``/_homolog/<secret>/``: the system under test
knows only the service URL, so it cannot read or steer its own test.

Generic control actions: ``GET info``, ``GET exchanges?since=N``, ``GET exchanges/<seq>``,
``GET exchanges/<seq>/blobs/<name>`` (raw bytes), ``POST reset``; a simulator adds its
own through ``control``.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ..listeners import ControlApi, serve_in_thread, stop_serving
from .log import ExchangeLog
from .tls import ServiceCertificates, make_service_certificates, server_context

__all__ = ["ControlHandler", "Reply", "Request", "ServiceHandler", "SoapService"]

_IDLE_TIMEOUT = 5.0  # seconds one socket operation may wait


@dataclass(frozen=True)
class Request:
    """One HTTP request received by the service listener."""

    method: str
    path: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    tls_version: str | None
    cipher: str | None

    def http_summary(self) -> dict[str, Any]:
        """What the exchange record keeps of the HTTP layer."""
        return {
            "method": self.method,
            "path": self.path,
            "content_type": self.headers.get("content-type"),
            "content_length": len(self.body),
            "tls_version": self.tls_version,
            "cipher": self.cipher,
        }


@dataclass
class Reply:
    """The HTTP answer of the service to one request."""

    status: int
    body: bytes
    content_type: str = "application/soap+xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


ServiceHandler = Callable[[Request], Reply]
# (method, action, query, JSON body) -> (status, JSON-ready object or raw bytes)
ControlHandler = Callable[[str, str, Mapping[str, str], Any], tuple[int, Any]]


class _ServiceServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], tls: ssl.SSLContext) -> None:
        super().__init__(address, handler)
        self.tls = tls
        self._active: set[socket.socket] = set()
        self._active_lock = threading.Lock()

    def _track(self, sock: socket.socket, *, add: bool) -> None:
        with self._active_lock:
            (self._active.add if add else self._active.discard)(sock)

    def abort_connections(self) -> None:
        """Cut open connections so their threads end now."""
        with self._active_lock:
            socks = list(self._active)
        for sock in socks:
            with contextlib.suppress(OSError, ValueError):
                sock.shutdown(socket.SHUT_RDWR)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        self._track(request, add=True)
        try:
            request.settimeout(_IDLE_TIMEOUT)
            raw = request
            request = self.tls.wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
            self._track(raw, add=False)
            self._track(request, add=True)
            try:
                request.do_handshake()
            except (ssl.SSLError, OSError):
                with contextlib.suppress(OSError):
                    request.close()
                return
            super().process_request_thread(request, client_address)
        finally:
            self._track(request, add=False)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Broken connections are the client's business."""


class SoapService:
    """A simulator's HTTPS service listener, its control listener and its exchange log.

    ``handle`` answers each well-formed HTTP request; ``control`` serves the simulator's
    own control actions; ``info`` returns what ``GET info`` shows. The CA and server
    certificate are generated at start in ``workdir`` (a temporary folder by default).
    """

    def __init__(
        self,
        *,
        name: str,
        path: str,
        handle: ServiceHandler,
        info: Callable[[], dict[str, Any]],
        control: ControlHandler | None = None,
        on_reset: Callable[[], None] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        control_port: int = 0,
        workdir: Path | None = None,
        max_body: int = 20 * 1024 * 1024,
        read_deadline: float = 30.0,
        log: ExchangeLog | None = None,
    ) -> None:
        if host != "127.0.0.1":
            # Simulators never leave the machine: the SUT is configured to call loopback.
            raise ValueError(f"simulators listen on 127.0.0.1 only, not {host!r}")
        self.name = name
        self.path = path
        self._handle = handle
        self._info = info
        self._control = control
        self._on_reset = on_reset
        self._port = port
        self._workdir = workdir
        self.max_body = max_body
        self.read_deadline = read_deadline
        self.log = log or ExchangeLog()
        self._control_api = ControlApi(name, self.control, port=control_port)
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.certificates: ServiceCertificates | None = None
        self._service: _ServiceServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------
    def start(self) -> SoapService:
        """Generate the certificates, bind both listeners, serve in daemon threads."""
        if self._workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix=f"homolog-{self.name}-")
            workdir = Path(self._tmp.name)
        else:
            workdir = Path(self._workdir)
        self.certificates = make_service_certificates(workdir, self.name)
        service_handler = type("ServiceHandler", (_ServiceRequestHandler,), {"service": self})
        try:
            self._service = _ServiceServer(
                ("127.0.0.1", self._port), service_handler, server_context(self.certificates)
            )
            self._control_api.start()
        except BaseException:
            self.stop()
            raise
        self._thread = serve_in_thread(self._service, f"{self.name}-service")
        return self

    def stop(self) -> None:
        """Stop both listeners, cut open connections, free the ports (idempotent)."""
        self._control_api.stop()
        cut = self._service.abort_connections if self._service is not None else None
        stop_serving(self._service, self._thread, timeout=_IDLE_TIMEOUT + 1, cut=cut)
        self._service, self._thread = None, None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # ---- addresses -------------------------------------------------------------------
    @property
    def origin(self) -> str:
        """``https://127.0.0.1:PORT``."""
        if self._service is None:
            raise RuntimeError(f"the {self.name} simulator is not started")
        return f"https://127.0.0.1:{self._service.server_address[1]}"

    @property
    def url(self) -> str:
        """The service endpoint the system under test is configured with."""
        return self.origin + self.path

    @property
    def control_url(self) -> str:
        """Base URL of the control API (contains the simulator's secret)."""
        return self._control_api.url

    @property
    def ca_file(self) -> Path:
        """The CA certificate (PEM) the system under test must trust."""
        if self.certificates is None:
            raise RuntimeError(f"the {self.name} simulator is not started")
        return self.certificates.ca_file

    # ---- control -----------------------------------------------------------------------
    def control(self, method: str, action: str, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """Serve one control action (generic ones first, then the simulator's)."""
        parts = [unquote(p) for p in action.strip("/").split("/") if p]
        try:
            if method == "GET" and parts == ["info"]:
                return 200, {**self._info(), "service": self.name, "url": self.url, "last_seq": self.log.last_seq}
            if method == "GET" and parts == ["exchanges"]:
                return 200, self.log.since(int(query.get("since", "0")))
            if method == "GET" and len(parts) == 2 and parts[0] == "exchanges":
                record = self.log.get(int(parts[1]))
                return (200, record) if record is not None else (404, {"error": f"no exchange {parts[1]}"})
            if method == "GET" and len(parts) == 4 and parts[0] == "exchanges" and parts[2] == "blobs":
                blob = self.log.blob(int(parts[1]), parts[3])
                if blob is None:
                    return 404, {"error": f"no blob {parts[3]!r} kept for exchange {parts[1]}"}
                return 200, blob
            if method == "POST" and parts == ["reset"]:
                self.log.clear()
                if self._on_reset is not None:
                    self._on_reset()
                return 200, {"ok": True}
        except ValueError as exc:
            return 400, {"error": str(exc)}
        if self._control is not None:
            return self._control(method, "/".join(parts), query, body)
        return 404, {"error": f"unknown control action {method} {action}"}

    def record_rejection(self, request_line: dict[str, Any], reason: str) -> None:
        """Record a request refused before the simulator could read it."""
        self.log.add(
            {
                "operation": "rejected",
                "outcome": "rejected",
                "problems": [reason],
                "http": request_line,
            }
        )


class _ServiceRequestHandler(BaseHTTPRequestHandler):
    service: SoapService
    server_version = "homolog-simulator"
    sys_version = ""
    protocol_version = "HTTP/1.0"
    timeout = _IDLE_TIMEOUT

    def log_message(self, format: str, *args: Any) -> None:
        """The exchange log is the log."""

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Connection", "close")
        for k, v in reply.headers.items():
            self.send_header(k, v)
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(reply.body)

    def _tls(self) -> tuple[str | None, str | None]:
        conn = self.connection
        if isinstance(conn, ssl.SSLSocket):
            cipher = conn.cipher()
            return conn.version(), cipher[0] if cipher else None
        return None, None

    def _summary(self) -> dict[str, Any]:
        version, cipher = self._tls()
        return {
            "method": self.command,
            "path": urlsplit(self.path).path[:300],
            "content_type": (self.headers.get("Content-Type") or "")[:300],
            "content_length": self.headers.get("Content-Length"),
            "tls_version": version,
            "cipher": cipher,
        }

    def _refuse(self, status: int, reason: str) -> None:
        self.service.record_rejection(self._summary(), reason)
        body = json.dumps({"error": reason}).encode()
        self.close_connection = True
        self._send(Reply(status, body, content_type="application/json"))

    def _read_body(self, length: int) -> bytes:
        deadline = time.monotonic() + self.service.read_deadline
        chunks: list[bytes] = []
        remaining = length
        while remaining > 0:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"the request body was not received within {self.service.read_deadline:.0f} s")
            self.connection.settimeout(min(_IDLE_TIMEOUT, left))
            chunk = self.rfile.read1(min(remaining, 64 * 1024))
            if not chunk:
                raise ConnectionError(f"the client closed the connection {remaining} bytes before the end")
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if path != self.service.path:
            self._refuse(404, f"no service at {path[:200]!r}; the endpoint is {self.service.path}")
            return
        if self.headers.get("Transfer-Encoding"):
            self._refuse(411, "chunked request bodies are not accepted: send Content-Length")
            return
        try:
            length = int(self.headers.get("Content-Length") or "")
        except ValueError:
            self._refuse(411, "the request has no valid Content-Length")
            return
        if length < 0:
            self._refuse(400, "negative Content-Length")
            return
        if length > self.service.max_body:
            self._refuse(
                413, f"the request body is {length} bytes, above the {self.service.max_body}-byte limit of this service"
            )
            return
        try:
            body = self._read_body(length)
        except (TimeoutError, ConnectionError, OSError) as exc:
            self.service.record_rejection(self._summary(), f"request body not received: {exc}")
            self.close_connection = True
            return
        version, cipher = self._tls()
        request = Request(
            method="POST",
            path=path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            tls_version=version,
            cipher=cipher,
        )
        try:
            reply = self.service._handle(request)
        except Exception as exc:  # a simulator bug must be visible, not a hung client
            self.service.record_rejection(self._summary(), f"simulator error: {type(exc).__name__}: {exc}")
            reply = Reply(500, json.dumps({"error": "simulator error"}).encode(), content_type="application/json")
        self._send(reply)

    def do_GET(self) -> None:
        self._refuse(405, f"{self.service.name} answers SOAP requests sent with POST to {self.service.path}")
