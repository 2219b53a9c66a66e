"""The run's connection pool (issue 18.2): every check's client reuses the connections to a
base, and a connection on which the server sent more than its response is never reused."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import yaml
from engine_support import requirement, write_referential

from homolog.http import Connections, HttpClient
from homolog.target import load_target
from homolog.testing import run_referential


class _RawServer:
    """A loopback HTTP/1.1 server written on sockets: counts connections, answers each
    request with `answers[path]` as raw bytes (default: a plain 200)."""

    def __init__(self, answers: dict[str, bytes]) -> None:
        self.answers = answers
        self.connections = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buf = b""
        with conn:
            while data := conn.recv(65536):
                buf += data
                while b"\r\n\r\n" in buf:
                    head, _, buf = buf.partition(b"\r\n\r\n")
                    path = head.split(b" ")[1].decode()
                    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nContent-Type: text/plain\r\n\r\nreal"
                    conn.sendall(self.answers.get(path, ok))

    def close(self) -> None:
        self.sock.close()


@contextlib.contextmanager
def _server(answers: dict[str, bytes] | None = None) -> Iterator[_RawServer]:
    server = _RawServer(answers or {})
    try:
        yield server
    finally:
        server.close()


def _target(path: Path, base: str) -> Path:
    doc = {"format": "homolog.target/1", "system": {"name": "pool test", "version": "1"}, "base_urls": {"web": base}}
    path.write_text(yaml.safe_dump(doc))
    return path


def test_the_checks_of_a_run_share_one_connection(tmp_path: Path) -> None:
    with _server() as server:
        ref = write_referential(
            tmp_path / "ref.yaml",
            [requirement(f"R.{i}", "engine.http.status", with_={"path": f"/ok/{i}"}) for i in range(5)],
        )
        doc = run_referential(ref, _target(tmp_path / "target.yaml", server.base), tmp_path / "run")
        assert [r["checks"][0]["verdict"] for r in doc["requirements"]] == ["passed"] * 5
        assert server.connections == 1
    # each check still has its own evidence
    files = sorted(p for r in doc["requirements"] for p in r["checks"][0]["evidence"])
    assert len(files) == len(set(files)) == 5 and all((tmp_path / "run" / p).is_file() for p in files)


SMUGGLED = (
    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged"  # sent unasked, after the response
)


def test_bytes_sent_after_a_response_are_not_read_as_the_next_answer(tmp_path: Path) -> None:
    with _server({"/first": SMUGGLED}) as server:
        target = load_target(_target(tmp_path / "target.yaml", server.base))
        pool = Connections()
        try:
            one, other = HttpClient(target, connections=pool), HttpClient(target, connections=pool)
            assert one.get("/first", base="web").content == b"ok"
            # another check's request, on the same pool: its own answer, on a new connection
            assert other.get("/second", base="web").content == b"real"
            assert server.connections == 2
            # the clean connection is reused
            assert one.get("/third", base="web").content == b"real"
            assert server.connections == 2
        finally:
            pool.close()
