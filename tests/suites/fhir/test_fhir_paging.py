"""fhir.search.paging judges paging, not what other users write meanwhile.

A scripted FHIR server on 127.0.0.1 pages its Patients by offset; in some modes another
"user" creates a Patient while the check walks the pages, in others the paging itself is
wrong (a resource repeated, an order that changes from one page request to the next).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

import homolog.suites.fhir.search.paging as paging
from homolog.testing import run_check

TOKEN_ENV = "HOMOLOG_TEST_PAGING_TOKEN"


class _Server(ThreadingHTTPServer):
    mode = "ok"
    patients: list[str]
    writes = 0
    requests = 0


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """No line per request."""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path != "/fhir/Patient":
            self.send_error(404)
            return
        srv = self.server
        count, offset = int(query.get("_count", "2")), int(query.get("_offset", "0"))
        if offset == 2 and (srv.mode.startswith("writer-always") or (srv.mode == "writer-once" and not srv.writes)):
            srv.writes += 1  # another user creates a patient while the check walks the pages
            srv.patients.append(f"new{srv.writes}")
        if srv.mode == "churn-once" and not srv.writes and offset in (2, 4):
            # another user creates a patient sorted first, then deletes it: the first and
            # last pages give the same total, the walk repeats p1 and is walked again
            if offset == 2:
                srv.patients.insert(0, "temp")
            else:
                srv.patients.remove("temp")
                srv.writes += 1
        ids = list(srv.patients)
        if srv.mode == "unstable-order":  # each page request sees the results in another order
            srv.requests += 1
            turn = srv.requests % len(ids)
            ids = ids[turn:] + ids[:turn]
        start = offset - 1 if srv.mode.startswith("repeat") and offset else offset
        page = ids[start : start + count]
        bundle: dict[str, Any] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": {"resourceType": "Patient", "id": i}} for i in page],
        }
        if not offset or not srv.mode.endswith("first-total-only"):
            bundle["total"] = len(ids)
        if offset + count < len(ids):
            port = srv.server_address[1]
            nxt = f"http://127.0.0.1:{port}/fhir/Patient?_count={count}&_offset={offset + count}"
            bundle["link"] = [{"relation": "next", "url": nxt}]
        body = json.dumps(bundle).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def paging_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[_Server, Path]]:
    monkeypatch.setenv(TOKEN_ENV, "paging-test-token")
    server = _Server(("127.0.0.1", 0), _Handler)
    server.patients = [f"p{i}" for i in range(7)]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    target = {
        "format": "homolog.target/1",
        "system": {"name": "paging test server", "version": "0", "vendor": "tests"},
        "base_urls": {"fhir": f"http://127.0.0.1:{server.server_address[1]}/fhir"},
        "auth": {"fhir": {"type": "bearer", "token_env": TOKEN_ENV}},
    }
    path = tmp_path / "paging-target.yaml"
    path.write_text(yaml.safe_dump(target), encoding="utf-8")
    yield server, path
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(autouse=True)
def _no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pauses between walks are for other users to finish writing; here nobody does."""
    monkeypatch.setattr(paging, "PAUSE_SECONDS", (0.0,) * (paging.MAX_WALKS - 1))


@pytest.mark.parametrize(
    ("mode", "verdict", "reason"),
    [
        ("ok", "passed", None),
        # One patient created during the first walk: the second walk sees stable results.
        ("writer-once", "passed", None),
        ("churn-once", "passed", None),
        ("writer-always", "error", "moved during each of 6 walks"),
        ("repeat", "failed", "resources returned on several pages: p1"),
        ("unstable-order", "failed", "(total 7 on each of the 4 pages)"),
        # Without a total on the later pages, two identical walks decide.
        ("repeat-first-total-only", "failed", "(the same in two walks)"),
        ("writer-always-first-total-only", "error", "moved during each of 6 walks"),
    ],
)
def test_paging_verdict(
    paging_server: tuple[_Server, Path], tmp_path: Path, mode: str, verdict: str, reason: str | None
) -> None:
    server, target = paging_server
    server.mode = mode
    result = run_check("fhir.search.paging", target, tmp_path=tmp_path)
    assert result.verdict == verdict, result.message
    if reason:
        assert reason in (result.message or "")
    if mode in ("writer-once", "churn-once"):
        assert server.writes == 1
