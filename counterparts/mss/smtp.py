"""The SMTP side of the simulator: aiosmtpd protocols on one asyncio loop in a thread.

Two listeners on 127.0.0.1: submission with STARTTLS, and implicit TLS (the TLS handshake
first, then SMTP). Both ask for a client certificate (verified against the simulator's
CA when one is sent) and accept TLS 1.2 with the MSSanté suites or TLS 1.3 only.

Each connection is a *session*: its transcript (commands and replies, bounded, AUTH
arguments withheld), its TLS parameters, the handshake error if any, and the messages it
carried. The simulator judges rather than refuses: a message sent in clear or without a
certificate is accepted and recorded with the findings, so one run shows every problem.
The sizes are bounded (``data_size_limit``: larger messages are drained, refused with 552
and recorded), connections idle for ``idle_timeout`` seconds (nothing received or sent) are cut.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from asyncio import sslproto
from collections.abc import Awaitable, Callable
from typing import Any, Literal, Protocol

from aiosmtpd.smtp import SMTP, Envelope, Session, TLSSetupException, syntax

__all__ = ["MSS_TLS12_CIPHERS", "PortKind", "SessionSink", "SmtpListeners", "server_tls_context"]

PortKind = Literal["starttls", "implicit"]

# MSS/CONF.03: with TLS 1.2 only ECDHE/DHE with AES-GCM or AES-CBC-SHA2 (0xC030, 0xC02F,
# 0xC028, 0xC027, 0x009F, 0x009E); all RSA-authenticated, hence the RSA server key.
MSS_TLS12_CIPHERS = ":".join(
    [
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES256-SHA384",
        "ECDHE-RSA-AES128-SHA256",
        "DHE-RSA-AES256-GCM-SHA384",
        "DHE-RSA-AES128-GCM-SHA256",
    ]
)
_TRANSCRIPT_LINES = 200
_LINE_CHARS = 300
_HOSTNAME = "mssante-simulator.homolog.invalid"


def server_tls_context(cert_file: str, key_file: str, ca_file: str) -> ssl.SSLContext:
    """TLS >= 1.2, MSSanté suites, client certificate requested and verified when sent."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(MSS_TLS12_CIPHERS)
    ctx.load_cert_chain(cert_file, key_file)
    ctx.load_verify_locations(ca_file)
    # OPTIONAL, not REQUIRED: a client without certificate still gets through, so the
    # harness can record its message and say what was missing instead of a bare refusal.
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE
    return ctx


class SessionSink(Protocol):
    """Where protocols report what happens (implemented by the simulator's records)."""

    def open_session(self, kind: PortKind, peer: str) -> dict[str, Any]: ...

    def tls_established(self, session: dict[str, Any], info: dict[str, Any]) -> None: ...

    def line(self, session: dict[str, Any], direction: str, text: str) -> None: ...

    def mail_command(self, session: dict[str, Any]) -> None: ...

    def handshake_failed(self, session: dict[str, Any], reason: str) -> None: ...

    def message(self, session: dict[str, Any], envelope: Envelope) -> str: ...

    def refused(self, session: dict[str, Any], envelope: Envelope | None, reply: str) -> None: ...

    def close_session(self, session: dict[str, Any]) -> None: ...


def _tls_info(extra: dict[str, Any]) -> dict[str, Any]:
    sslobj = extra.get("ssl_object")
    cipher = extra.get("cipher") or (None, None, None)
    peer = extra.get("peercert") or None
    cert: dict[str, Any] | None = None
    if peer:
        subject = ", ".join("=".join(pair) for rdn in peer.get("subject", ()) for pair in rdn)
        issuer = ", ".join("=".join(pair) for rdn in peer.get("issuer", ()) for pair in rdn)
        cert = {
            "subject": subject,
            "issuer": issuer,
            "serial": peer.get("serialNumber"),
            "not_after": peer.get("notAfter"),
            "verified": True,  # with CERT_OPTIONAL a certificate that does not verify ends the handshake
        }
    return {
        "version": sslobj.version() if sslobj is not None else None,
        "cipher": cipher[0],
        "bits": cipher[2],
        "client_certificate": cert,
    }


def _clip(text: str) -> str:
    return text if len(text) <= _LINE_CHARS else text[:_LINE_CHARS] + "…"


class _Smtp(SMTP):
    """aiosmtpd's SMTP with a transcript, TLS records and implicit TLS on demand."""

    def __init__(
        self,
        sink: SessionSink,
        *,
        kind: PortKind,
        tls: ssl.SSLContext,
        data_size_limit: int,
        idle_timeout: float,
        loop: asyncio.AbstractEventLoop,
        live: set[_Smtp],
    ) -> None:
        super().__init__(
            _Handler(sink),
            data_size_limit=data_size_limit,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=_HOSTNAME,
            ident="homolog MSSanté simulator",
            tls_context=tls if kind == "starttls" else None,
            require_starttls=False,
            timeout=idle_timeout,
            loop=loop,
        )
        self._sink = sink
        self._live = live
        self._kind: PortKind = kind
        self._implicit_ctx = tls if kind == "implicit" else None
        self.record: dict[str, Any] | None = None
        self._in_data = False  # the last reply was 354: the next one is the DATA outcome
        self._ended_recorded = False
        self._active_at = loop.time()  # the last bytes received or sent (the idle timer)
        # Every command goes through these bound methods: wrapping them writes the transcript.
        for name, method in list(self._smtp_methods.items()):
            self._smtp_methods[name] = self._logged(name, method)

    def _logged(self, name: str, method: Callable[[str], Awaitable[None]]) -> Callable[[str], Awaitable[None]]:
        async def run(arg: str) -> None:
            if self.record is not None:
                shown = name if name == "AUTH" or not arg else f"{name} {arg}"
                # AUTH arguments are credentials: only the mechanism name is kept.
                if name == "AUTH" and arg:
                    shown = f"AUTH {arg.split()[0]} <withheld>"
                self._sink.line(self.record, "C", _clip(shown))
                if name == "MAIL":
                    self._sink.mail_command(self.record)
            await method(arg)

        return run

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        first = self.record is None
        if first:
            self._live.add(self)
            peer = transport.get_extra_info("peername")
            self.record = self._sink.open_session(self._kind, f"{peer[0]}:{peer[1]}" if peer else "?")
        super().connection_made(transport)
        if not first and self._tls_protocol is not None and self.session is not None and self.session.ssl:
            assert self.record is not None
            self._sink.tls_established(self.record, _tls_info(self.session.ssl))

    def data_received(self, data: bytes) -> None:
        self._active_at = self.loop.time()
        super().data_received(data)

    def _timeout_cb(self) -> None:
        # aiosmtpd restarts its timer on each command only: a client still sending a large
        # message (or waiting for the reply to it) would be cut mid-transfer. Idle here means
        # that nothing has crossed the connection either way for the whole timeout.
        quiet = self.loop.time() - self._active_at
        if quiet < self._timeout_duration:
            self._reset_timeout(self._timeout_duration - quiet)
            return
        super()._timeout_cb()  # type: ignore[no-untyped-call]  # aiosmtpd leaves it unannotated

    def _ended(self) -> None:
        self._live.discard(self)
        if self._timeout_handle is not None:
            self._timeout_handle.cancel()  # its callback expects a transport
        if self.record is not None and not self._ended_recorded:
            self._ended_recorded = True
            self._sink.close_session(self.record)

    def connection_lost(self, error: Exception | None) -> None:
        self._ended()
        super().connection_lost(error)

    def abort(self) -> None:
        """Close the connection now (the simulator stops)."""
        for transport in (self.transport, self._original_transport):
            if transport is not None:
                with contextlib.suppress(Exception):
                    transport.close()

    async def push(self, status: Any) -> None:
        text = status.decode("utf-8", "replace") if isinstance(status, bytes) else str(status)
        if self.record is not None:
            self._sink.line(self.record, "S", _clip(text))
            after_data, self._in_data = self._in_data, text.startswith("354")
            if text.startswith("552") or (after_data and text.startswith("5")):
                # Refused for its size (at MAIL with a declared SIZE, or drained after DATA),
                # or its data refused (e.g. lines longer than RFC 5321 allows).
                self._sink.refused(self.record, self.envelope, text)
        self._active_at = self.loop.time()
        await super().push(status)

    async def handle_exception(self, error: Exception) -> str:
        if self.record is not None:
            if isinstance(error, TLSSetupException):
                self._sink.handshake_failed(self.record, repr(error.__cause__ or error))
            else:
                self._sink.line(self.record, "!", _clip(f"server error: {error!r}"))
        return "451 4.3.0 Error: the simulator could not process the command"

    @syntax("STARTTLS", when="tls_context")
    async def smtp_STARTTLS(self, arg: str) -> None:
        """aiosmtpd's STARTTLS, with a bounded handshake whose failure is recorded."""
        if arg:
            await self.push("501 Syntax: STARTTLS")
            return
        if not self.tls_context or self._tls_protocol is not None:
            await self.push("454 TLS not available")
            return
        await self.push("220 Ready to start TLS")
        await self._upgrade(self.tls_context)

    async def _upgrade(self, ctx: ssl.SSLContext) -> bool:
        """Run the TLS handshake on this connection (after STARTTLS, or first for implicit TLS).

        The handshake is bounded by the idle timeout: a client that never sends its hello
        is cut, and the session is closed in the records (asyncio would not tell us, as the
        SMTP protocol is only connected to the TLS layer once the handshake succeeded).
        """
        assert self.transport is not None
        waiter = self.loop.create_future()
        self._tls_protocol = sslproto.SSLProtocol(self.loop, self, ctx, waiter, server_side=True)
        self._original_transport = self.transport
        self._original_transport.set_protocol(self._tls_protocol)
        self.transport = self._tls_protocol._app_transport
        self._tls_protocol.connection_made(self._original_transport)
        failure: str | None = None
        started = self.loop.time()
        try:
            await asyncio.wait_for(waiter, timeout=self._timeout_duration)
        except asyncio.CancelledError:
            raise
        except TimeoutError:
            failure = f"no TLS handshake within {self._timeout_duration:g} s"
        except Exception as exc:
            failure = repr(exc)
        # A connection lost mid-handshake resolves the waiter without error: the handshake
        # completed only if the TLS layer connected us (connection_made recorded it).
        if failure is None and (self.session is None or not self.session.ssl):
            # The idle timer may cut the connection just before wait_for gives up.
            late = self.loop.time() - started >= 0.9 * self._timeout_duration
            failure = (
                f"no TLS handshake within {self._timeout_duration:g} s"
                if late
                else "the connection ended during the TLS handshake"
            )
        if failure is not None:
            if self.record is not None:
                self._sink.handshake_failed(self.record, failure)
            with contextlib.suppress(Exception):
                self._original_transport.close()
            self.transport = None  # ends aiosmtpd's command loop
            self._ended()
            return False
        return True

    async def _handle_client(self) -> None:
        if (
            self._implicit_ctx is not None
            and self._tls_protocol is None
            and not await self._upgrade(self._implicit_ctx)
        ):
            return
        await super()._handle_client()


class _Handler:
    def __init__(self, sink: SessionSink) -> None:
        self._sink = sink

    async def handle_DATA(self, server: _Smtp, session: Session, envelope: Envelope) -> str:
        assert server.record is not None
        return self._sink.message(server.record, envelope)


class SmtpListeners:
    """The two listeners on one event loop in a daemon thread."""

    def __init__(
        self,
        sink: SessionSink,
        tls: ssl.SSLContext,
        *,
        host: str = "127.0.0.1",
        ports: tuple[int, int] = (0, 0),
        data_size_limit: int,
        idle_timeout: float,
    ) -> None:
        self._sink = sink
        self._tls = tls
        self._host = host
        self._ports = ports
        self._limit = data_size_limit
        self._idle = idle_timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[asyncio.AbstractServer] = []
        self._live: set[_Smtp] = set()  # open connections, closed at stop
        self.addresses: dict[PortKind, tuple[str, int]] = {}

    def start(self) -> None:
        """Bind both ports and serve; returns once they listen (or raises the bind error)."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        ready = threading.Event()
        failure: list[BaseException] = []

        async def bind() -> None:
            kinds: tuple[PortKind, PortKind] = ("starttls", "implicit")
            for kind, port in zip(kinds, self._ports, strict=True):
                server = await loop.create_server(self._factory(kind), host=self._host, port=port)
                self._servers.append(server)
                sockname = server.sockets[0].getsockname()
                self.addresses[kind] = (sockname[0], sockname[1])

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(bind())
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            # Stopped: end the connections still open, then close the loop.
            tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=run, name="mss-simulator-smtp", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the SMTP listeners did not start within 10 s")
        if failure:
            self._thread.join(5)
            raise failure[0]

    def _factory(self, kind: PortKind) -> Callable[[], _Smtp]:
        def make() -> _Smtp:
            assert self._loop is not None
            return _Smtp(
                self._sink,
                kind=kind,
                tls=self._tls,
                data_size_limit=self._limit,
                idle_timeout=self._idle,
                loop=self._loop,
                live=self._live,
            )

        return make

    def stop(self) -> None:
        """Close the listeners and every open connection; join the thread (idempotent)."""
        loop, self._loop = self._loop, None
        if loop is None:
            return

        def close() -> None:
            for server in self._servers:
                server.close()
            for proto in list(self._live):
                proto.abort()
            for task in asyncio.all_tasks(loop):
                task.cancel()
            loop.stop()

        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(close)
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._servers.clear()
