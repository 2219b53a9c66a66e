"""Strict-trait check, second branch: a SUT that accepts the change but demotes the status.

The reference SUT refuses strict-trait changes, so this branch runs against a small
FHIR responder on 127.0.0.1 that demotes a qualified identity to provisional on such a
change, with (or without) a new history version.
"""

from __future__ import annotations

import copy
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml

from homolog.testing import run_check

RELIABILITY = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"


def _demote(patient: dict[str, Any]) -> None:
    patient["extension"] = [e for e in patient.get("extension", []) if e.get("url") != RELIABILITY]
    patient["extension"].append(
        {"url": RELIABILITY, "extension": [{"url": "identityStatus", "valueCoding": {"code": "PROV"}}]}
    )
    patient["identifier"] = []  # a provisional identity no longer exposes its INS


class _Demoting(BaseHTTPRequestHandler):
    historise = True
    store: ClassVar[dict[str, list[dict[str, Any]]]] = {}

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))

    def do_POST(self) -> None:
        res = self._body()
        res["id"] = uuid.uuid4().hex[:12]
        self.store[res["id"]] = [res]
        self._send(201, res)

    def do_GET(self) -> None:
        parts = self.path.split("?")[0].strip("/").split("/")  # fhir, Patient, id[, _history]
        versions = self.store.get(parts[2]) if len(parts) >= 3 else None
        if versions is None:
            self._send(404, {"resourceType": "OperationOutcome", "issue": [{"code": "not-found"}]})
        elif len(parts) == 4:
            self._send(
                200,
                {"resourceType": "Bundle", "type": "history", "entry": [{"resource": v} for v in reversed(versions)]},
            )
        else:
            self._send(200, versions[-1])

    def do_PUT(self) -> None:
        new = self._body()
        versions = self.store[new["id"]]
        demoted = copy.deepcopy(new)
        _demote(demoted)
        if self.historise:
            versions.append(demoted)
        else:
            versions[-1] = demoted
        self._send(200, demoted)

    def do_DELETE(self) -> None:
        self.send_response(405)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(params=[True, False], ids=["historised", "overwritten"])
def demoting_target(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, bool]]:
    handler = type("Handler", (_Demoting,), {"historise": request.param, "store": {}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("HOMOLOG_TEST_TOKEN", "t0ken-for-tests")
    target = tmp_path / "target.yaml"
    target.write_text(
        yaml.safe_dump(
            {
                "format": "homolog.target/1",
                "system": {"name": "demoting FHIR", "version": "0", "vendor": "tests"},
                "base_urls": {"fhir": f"http://127.0.0.1:{server.server_address[1]}/fhir"},
                "auth": {"fhir": {"type": "bearer", "token_env": "HOMOLOG_TEST_TOKEN"}},
                "settings": {"identity": {"accepted_ins_oids": ["1.2.250.1.213.1.4.10"]}},
                "data_policy": "create",
            }
        ),
        encoding="utf-8",
    )
    try:
        yield target, request.param
    finally:
        server.shutdown()
        server.server_close()


def test_demotion_passes_only_when_historised(demoting_target: tuple[Path, bool], tmp_path: Path) -> None:
    target, historised = demoting_target
    res = run_check("identity.traits.strict_readonly", target, tmp_path=tmp_path, params={"trait": "birth_name"})
    if historised:
        assert res.verdict == "passed", res.message
    else:
        assert res.verdict == "failed", res.message
        assert "not historised" in (res.message or "")
