"""A deliberately non-conformant FHIR server for the failing side of the fhir.* checks.

Real HTTP on 127.0.0.1 (free port), serving the answers a careless server gives: an
STU3 CapabilityStatement without Patient, plain `application/json`, no versionId,
`collection` bundles, `_count` ignored, a crash (500) on a body that is not JSON.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

TOKEN_ENV = "HOMOLOG_TEST_BROKEN_FHIR_TOKEN"
TOKEN = "broken-fhir-test-token"

_PATIENTS = [
    {"resourceType": "Patient", "id": f"p{i}", "name": [{"family": f"NOM{i}"}], "birthDate": f"198{i}-01-01"}
    for i in range(5)
]


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def _send(self, status: int, body: Any, ctype: str = "application/json") -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path.removeprefix("/fhir")
        if path == "/metadata":
            self._send(
                200,
                {
                    "resourceType": "CapabilityStatement",
                    "fhirVersion": "3.0.2",
                    "kind": "instance",
                    "format": ["xml"],
                    "rest": [{"mode": "client", "resource": [{"type": "Practitioner"}]}],
                },
            )
            return
        parts = path.strip("/").split("/")
        if parts[0] in ("Patient", "Practitioner", "Organization") and len(parts) == 1:
            # _count is ignored and the bundle type is wrong.
            self._send(
                200,
                {
                    "resourceType": "Bundle",
                    "type": "collection",
                    "total": 5,
                    "entry": [{"resource": p} for p in _PATIENTS],
                },
            )
            return
        if parts[0] == "Patient" and len(parts) >= 2:
            # No meta.versionId, and the id echoed back is not the one asked for.
            self._send(200, {**_PATIENTS[0], "id": parts[1] + "-other"})
            return
        self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            json.loads(raw)
        except ValueError:
            self._send(500, {"error": "Internal Server Error"})
            return
        self._send(201, {"resourceType": "Patient", "id": "new"})

    do_PUT = do_POST


@contextmanager
def broken_fhir_target(workdir: Path) -> Iterator[Path]:
    """Start the broken server and yield the path of a target YAML describing it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    target = {
        "format": "homolog.target/1",
        "system": {"name": "broken FHIR test server", "version": "0", "vendor": "tests"},
        "base_urls": {"fhir": f"http://127.0.0.1:{port}/fhir"},
        "auth": {"fhir": {"type": "bearer", "token_env": TOKEN_ENV}},
        "data": {"patient_qualified": "p0", "practitioner": "x", "organization": "y"},
        "data_policy": "create",
        "settings": {
            "fhir": {"profiles": {"Patient": "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-ins"}}
        },
    }
    path = workdir / "broken-target.yaml"
    path.write_text(yaml.safe_dump(target), encoding="utf-8")
    try:
        yield path
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
