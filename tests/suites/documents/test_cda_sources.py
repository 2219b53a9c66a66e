"""Collecting documents: DocumentReference search, inline attachments, raw Binary, errors."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from homolog.suites.documents.sources import SourceError, collect_documents

CDA = b'<ClinicalDocument xmlns="urn:hl7-org:v3"/>'


@dataclass
class FakeResponse:
    status_code: int
    body: bytes
    headers: dict[str, str]
    path: str

    @property
    def content(self) -> bytes:
        return self.body

    def json(self) -> Any:
        return json.loads(self.body)

    def describe(self) -> str:
        return f"GET {self.path}"


@dataclass
class FakeHttp:
    routes: dict[str, tuple[int, Any, str]]
    calls: list[str] = field(default_factory=list)

    def get(self, path: str, **_: Any) -> FakeResponse:
        self.calls.append(path)
        status, body, ctype = self.routes[path]
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return FakeResponse(status, raw, {"content-type": ctype}, path)


@dataclass
class FakeTarget:
    data: dict[str, Any]
    documents: dict[str, Any]
    path: Path = Path("/nonexistent/target.yaml")

    def settings(self, domain: str) -> dict[str, Any]:
        return self.documents if domain == "documents" else {}

    def resolve_path(self, p: str) -> Path:
        return self.path.parent / p


def _ref(rid: str, attachment: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "DocumentReference",
        "id": rid,
        "subject": {"reference": "Patient/p1"},
        "content": [{"attachment": attachment}],
    }


def test_search_inline_and_raw_binary() -> None:
    bundle = {
        "resourceType": "Bundle",
        "entry": [
            {"resource": _ref("a", {"contentType": "application/xml", "data": base64.b64encode(CDA).decode()})},
            {"resource": _ref("b", {"contentType": "application/xml", "url": "Binary/b1"})},
            {"resource": _ref("c", {"contentType": "application/pdf", "url": "Binary/pdf"})},
        ],
    }
    http = FakeHttp(
        {"/DocumentReference": (200, bundle, "application/fhir+json"), "Binary/b1": (200, CDA, "application/xml")}
    )
    docs = collect_documents(FakeTarget({}, {}), http)
    assert [(d.name, d.content, d.subject) for d in docs] == [
        ("DocumentReference/a", CDA, "Patient/p1"),
        ("DocumentReference/b", CDA, "Patient/p1"),
    ]
    assert "Binary/pdf" not in http.calls  # a PDF is not a CDA document: never fetched


def test_errors_are_source_errors(tmp_path: Path) -> None:
    http = FakeHttp({"/DocumentReference/x": (404, {"resourceType": "OperationOutcome"}, "application/fhir+json")})
    with pytest.raises(SourceError, match="expected 200, got 404"):
        collect_documents(FakeTarget({"documents": ["x"]}, {}), http)
    bad = FakeHttp({"/DocumentReference/y": (200, _ref("y", {"data": "%%%"}), "application/fhir+json")})
    with pytest.raises(SourceError, match="not base64"):
        collect_documents(FakeTarget({"documents": ["y"]}, {}), bad)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SourceError, match=r"no \*\.xml"):
        collect_documents(FakeTarget({}, {"folder": str(empty)}), FakeHttp({}))
