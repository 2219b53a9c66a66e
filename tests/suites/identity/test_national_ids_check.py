"""National identifiers check: the reference SUT passes; a server with bad check digits fails.

The failing side uses a tiny FHIR responder on 127.0.0.1 (no defect switch of the
reference SUT breaks these identifiers).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from homolog.testing import run_check

CHECK = "identity.national_ids.valid"

_RESOURCES = {
    "/fhir/Practitioner/p1": {
        "resourceType": "Practitioner",
        "id": "p1",
        "identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.1", "value": "810000000001"}],
    },
    "/fhir/Organization/o1": {
        "resourceType": "Organization",
        "id": "o1",
        "identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.2", "value": "1750000002"}],
    },
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        res = _RESOURCES.get(self.path.split("?")[0])
        body = json.dumps(
            res or {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-found"}]}
        ).encode()
        self.send_response(200 if res else 404)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass


@pytest.fixture
def bad_ids_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("HOMOLOG_TEST_TOKEN", "t0ken-for-tests")
    target = tmp_path / "target.yaml"
    target.write_text(
        yaml.safe_dump(
            {
                "format": "homolog.target/1",
                "system": {"name": "bad identifiers", "version": "0", "vendor": "tests"},
                "base_urls": {"fhir": f"http://127.0.0.1:{server.server_address[1]}/fhir"},
                "auth": {"fhir": {"type": "bearer", "token_env": "HOMOLOG_TEST_TOKEN"}},
                "data": {"practitioner": "p1", "organization": "o1"},
            }
        ),
        encoding="utf-8",
    )
    try:
        yield target
    finally:
        server.shutdown()
        server.server_close()


def test_bad_idnatps_key_fails(bad_ids_target: Path, tmp_path: Path) -> None:
    res = run_check(CHECK, bad_ids_target, tmp_path=tmp_path)
    assert res.verdict == "failed", res.message
    assert "RPPS 10000000001" in (res.message or "")
    assert "Organization" not in (res.message or "")  # 1 + FINESS 750000002 is valid


def test_bad_key_is_a_warning_on_declared_test_data(bad_ids_target: Path, tmp_path: Path) -> None:
    doc = yaml.safe_load(bad_ids_target.read_text(encoding="utf-8"))
    doc["settings"] = {"identity": {"test_data": True}}
    bad_ids_target.write_text(yaml.safe_dump(doc), encoding="utf-8")
    res = run_check(CHECK, bad_ids_target, tmp_path=tmp_path)
    assert res.verdict == "passed", res.message
    report = next(p for p in res.evidence if p.name.endswith("national-ids.json"))
    assert "check digit is wrong" in report.read_text(encoding="utf-8")
