"""Collecting the CDA documents a SUT produces.

Two sources, both declared by the target:

- FHIR: the DocumentReference ids of ``data.documents`` (or, when absent, a
  ``DocumentReference`` search on the FHIR base), each attachment read inline (``data``)
  or through its ``url`` (a ``Binary``, asked as FHIR JSON or raw bytes);
- a folder: ``settings.documents.folder`` (relative to the target file), every ``*.xml``.

Everything read is bounded (:data:`MAX_DOCUMENTS`, the HTTP client's ``max_bytes``,
:data:`~.validator.MAX_DOCUMENT_BYTES` for files).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from homolog import CheckFailed

from .validator import MAX_DOCUMENT_BYTES

__all__ = ["MAX_DOCUMENTS", "SourceError", "SutDocument", "collect_documents"]

MAX_DOCUMENTS = 50
_CDA_TYPES = ("application/xml", "text/xml", "application/hl7-v3+xml", "application/cda+xml")


class SourceError(Exception):
    """Documents could not be obtained from the SUT (the check must say ``error``)."""


@dataclass(frozen=True)
class SutDocument:
    """One document taken from the SUT, with where it came from and whom it is about."""

    name: str  # e.g. "DocumentReference/doc-1" or the file name
    content: bytes
    subject: str | None = None  # "Patient/<id>" when the SUT says it


def _from_folder(folder: Path) -> list[SutDocument]:
    if not folder.is_dir():
        raise SourceError(f"settings.documents.folder {folder} is not a folder")
    docs = []
    for path in sorted(folder.glob("*.xml"))[:MAX_DOCUMENTS]:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            raise SourceError(f"{path.name} is larger than {MAX_DOCUMENT_BYTES} bytes")
        docs.append(SutDocument(name=path.name, content=path.read_bytes()))
    if not docs:
        raise SourceError(f"no *.xml document in {folder}")
    return docs


def _json(resp: Any, what: str) -> dict[str, Any]:
    if resp.status_code != 200:
        raise SourceError(f"expected 200, got {resp.status_code} for {resp.describe()} ({what})")
    try:
        body = resp.json()
    except (ValueError, CheckFailed) as exc:
        # the documents are judged, not the FHIR API that hands them out: could not decide
        raise SourceError(f"{resp.describe()} did not return JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise SourceError(f"{resp.describe()} returned JSON that is not an object")
    return body


def _attachment_bytes(http: Any, attachment: dict[str, Any], where: str) -> bytes | None:
    ctype = str(attachment.get("contentType", "")).split(";")[0].strip().lower()
    if ctype and ctype not in _CDA_TYPES:
        return None
    if "data" in attachment:
        try:
            return base64.b64decode(str(attachment["data"]), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SourceError(f"{where}: attachment data is not base64: {exc}") from exc
    url = attachment.get("url")
    if not url:
        raise SourceError(f"{where}: attachment has neither data nor url")
    resp = http.get(str(url), base="fhir", auth="fhir", headers={"Accept": "application/fhir+json"})
    if resp.status_code != 200:
        raise SourceError(f"expected 200, got {resp.status_code} for {resp.describe()}")
    rtype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
    if "json" in rtype:
        body = _json(resp, where)
        if body.get("resourceType") != "Binary" or "data" not in body:
            raise SourceError(f"{resp.describe()} is not a Binary with data")
        try:
            return base64.b64decode(str(body["data"]), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SourceError(f"{resp.describe()}: Binary.data is not base64: {exc}") from exc
    return bytes(resp.content)


def _from_reference(http: Any, ref: dict[str, Any]) -> list[SutDocument]:
    rid = ref.get("id", "?")
    subject = (ref.get("subject") or {}).get("reference")
    docs = []
    for index, content in enumerate(ref.get("content") or []):
        attachment = (content or {}).get("attachment") or {}
        where = f"DocumentReference/{rid} content[{index}]"
        data = _attachment_bytes(http, attachment, where)
        if data is not None:
            name = f"DocumentReference/{rid}" + (f"#{index}" if index else "")
            docs.append(SutDocument(name=name, content=data, subject=subject))
    return docs


def collect_documents(target: Any, http: Any) -> list[SutDocument]:
    """The CDA documents the target makes available (folder, then FHIR)."""
    settings = target.settings("documents")
    folder = settings.get("folder")
    if folder:
        return _from_folder(target.resolve_path(str(folder)))
    ids = target.data.get("documents") if hasattr(target, "data") else None
    refs: list[dict[str, Any]] = []
    if ids:
        for rid in list(ids)[:MAX_DOCUMENTS]:
            resp = http.get(
                f"/DocumentReference/{rid}", base="fhir", auth="fhir", headers={"Accept": "application/fhir+json"}
            )
            refs.append(_json(resp, f"DocumentReference/{rid}"))
    else:
        resp = http.get(
            "/DocumentReference",
            base="fhir",
            auth="fhir",
            params={"_count": str(MAX_DOCUMENTS)},
            headers={"Accept": "application/fhir+json"},
        )
        bundle = _json(resp, "DocumentReference search")
        refs = [e.get("resource") or {} for e in (bundle.get("entry") or [])][:MAX_DOCUMENTS]
    docs: list[SutDocument] = []
    for ref in refs:
        if ref.get("resourceType") != "DocumentReference":
            raise SourceError(f"expected a DocumentReference, got {ref.get('resourceType')!r}")
        docs.extend(_from_reference(http, ref))
    if not docs:
        raise SourceError(
            "the SUT made no CDA document available (data.documents, a"
            " DocumentReference search, or settings.documents.folder)"
        )
    return docs
