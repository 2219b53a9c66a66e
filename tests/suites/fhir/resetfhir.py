"""A FHIR server that answers 500 to a body that is not JSON, then resets the connection.

Real HTTP/1.1 on 127.0.0.1 (free port), with keep-alive. Every other request gets a 400
OperationOutcome. After a 500 the connection is poisoned: the next request that arrives
on it is answered by a TCP reset (SO_LINGER 0), so the example after the crash fails at
the transport level. Run with `mode="truncated"`, the 500 itself is cut: its headers
and half of its body are sent, then the connection is reset.

Replayed on a fresh connection, the request that met the reset is answered normally:
exactly what made hypothesis report a FlakyFailure instead of the 500s it had found.

`crash_on="bad-birth-date"` crashes instead on a JSON Patient whose birthDate is not a
YYYY-MM-DD string (what identity checks send), `"not-json"` (default) on a body that is
not JSON.
"""

from __future__ import annotations

import json
import re
import socket
import socketserver
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import yaml

TOKEN_ENV = "HOMOLOG_TEST_RESET_FHIR_TOKEN"
TOKEN = "reset-fhir-test-token"

_OUTCOME = json.dumps(
    {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "invalid", "diagnostics": "no"}]}
).encode()
_CRASH = json.dumps(
    {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "fatal", "code": "exception", "diagnostics": "internal error " * 30}],
    }
).encode()


def _reset(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


Crash = Literal["not-json", "bad-birth-date"]


def _crashes(crash_on: Crash, body: bytes) -> bool:
    try:
        doc = json.loads(body)
    except ValueError:
        return crash_on == "not-json"
    if crash_on != "bad-birth-date" or not isinstance(doc, dict) or "birthDate" not in doc:
        return False
    birth = doc["birthDate"]
    return not (isinstance(birth, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", birth))


class _Handler(socketserver.BaseRequestHandler):
    mode: Literal["after", "truncated"] = "after"
    crash_on: Crash = "not-json"

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(10)
        reader = sock.makefile("rb")
        poisoned = False
        try:
            while True:
                line = reader.readline(65537)
                if not line:
                    return
                headers: dict[str, str] = {}
                while True:
                    h = reader.readline(65537)
                    if h in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = h.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = reader.read(int(headers.get("content-length", "0") or 0))
                if poisoned:
                    _reset(sock)
                    return
                method = line.split(b" ", 1)[0]
                crash = method in (b"POST", b"PUT") and _crashes(self.crash_on, body)
                if crash and self.mode == "truncated":
                    head = b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/fhir+json\r\n"
                    sock.sendall(head + f"Content-Length: {len(_CRASH)}\r\n\r\n".encode() + _CRASH[: len(_CRASH) // 2])
                    _reset(sock)
                    return
                status, data = (b"500 Internal Server Error", _CRASH) if crash else (b"400 Bad Request", _OUTCOME)
                sock.sendall(
                    b"HTTP/1.1 " + status + b"\r\nContent-Type: application/fhir+json\r\n"
                    b"Content-Length: " + str(len(data)).encode() + b"\r\nConnection: keep-alive\r\n\r\n" + data
                )
                poisoned = crash
        except OSError:
            return


@contextmanager
def reset_fhir_target(
    workdir: Path, *, mode: Literal["after", "truncated"] = "after", crash_on: Crash = "not-json"
) -> Iterator[Path]:
    """Serve the resetting FHIR server; yield a target file pointing at it."""
    handler = type("Handler", (_Handler,), {"mode": mode, "crash_on": crash_on})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="reset-fhir", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}/fhir"
    target = workdir / "target.yaml"
    target.write_text(
        yaml.safe_dump(
            {
                "format": "homolog.target/1",
                "system": {"name": "resetting FHIR server", "version": "0"},
                "base_urls": {"fhir": base},
                "auth": {"fhir": {"type": "bearer", "token_env": TOKEN_ENV}},
                # the robustness checks may create resources (writes): the run may write
                "data_policy": "create",
            }
        ),
        encoding="utf-8",
    )
    try:
        yield target
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
