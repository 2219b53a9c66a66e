"""What every document check shares: the configured validator and the SUT's documents.

Configuration and transport problems become ``CheckError`` here, so each check only
decides on what it verifies.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from homolog import CheckError, Evidence, Target

from .material import AnsMaterial, MaterialError
from .sources import SourceError, SutDocument, collect_documents
from .svrl import Issue
from .validator import DocumentError, DocumentValidator, parse_document

__all__ = ["ParsedDocument", "evidence_name", "parsed_documents", "report_issues", "subject_qualified", "validator_for"]

_VALIDATORS: dict[tuple[Any, ...], DocumentValidator] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class ParsedDocument:
    """A SUT document and its parsed root element."""

    source: SutDocument
    root: etree._Element


def evidence_name(doc: SutDocument, suffix: str) -> str:
    """A file-system-safe evidence name for a document."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", doc.name).strip("_") or "document"
    return f"{stem}{suffix}"


def validator_for(target: Target) -> DocumentValidator:
    """The process-wide validator for the target's ANS material (compiled schematrons kept)."""
    settings = target.settings("documents")
    try:
        material = AnsMaterial.from_settings(settings, base_dir=target.path.parent if target.path else None)
    except MaterialError as exc:
        raise CheckError(str(exc)) from exc
    cache = settings.get("cache_dir")
    cache_dir = target.resolve_path(str(cache)) if cache else None
    pinned = dict(settings.get("volet_versions") or {})
    profiles = tuple(Path(str(p)) for p in settings.get("profiles") or ())
    key = (material, cache_dir, tuple(sorted(pinned.items())), profiles)
    with _LOCK:
        if key not in _VALIDATORS:
            _VALIDATORS[key] = DocumentValidator(
                material, cache_dir=cache_dir, pinned_versions=pinned, profiles=profiles
            )
        return _VALIDATORS[key]


def parsed_documents(target: Target, http: Any, evidence: Evidence) -> list[ParsedDocument]:
    """Fetch the SUT's documents, keep each as evidence, parse them safely."""
    try:
        docs = collect_documents(target, http)
    except SourceError as exc:
        raise CheckError(str(exc)) from exc
    out = []
    for doc in docs:
        evidence.attach_bytes(evidence_name(doc, ".xml"), doc.content, media_type="application/xml")
        try:
            tree = parse_document(doc.content)
        except DocumentError as exc:
            # Not decidable as a header question, but clearly not a valid CDA: the
            # conformance check reports it as a failure; header checks cannot read it.
            raise CheckError(f"{doc.name}: {exc}") from exc
        out.append(ParsedDocument(doc, tree.getroot()))
    return out


def subject_qualified(target: Target, doc: SutDocument) -> bool | None:
    """Whether the document's patient has a qualified identity, from the target's data.

    The target names its qualified and unqualified test patients; a document whose
    subject is neither gets None (undecided).
    """
    if not doc.subject:
        return None
    pid = doc.subject.rsplit("/", 1)[-1]
    data = target.data
    if data.get("patient_qualified") == pid:
        return True
    if data.get("patient_unqualified") == pid:
        return False
    return None


def report_issues(evidence: Evidence, name: str, issues: list[Issue]) -> None:
    """Attach an issue list as JSON evidence."""
    evidence.attach_json(name, [i.to_dict() for i in issues])
