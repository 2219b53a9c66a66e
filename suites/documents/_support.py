"""What the document checks share: the SUT's documents, fetched and parsed, and evidence names.

Configuration and transport problems become ``CheckError`` here, so each check only
decides on what it verifies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from homolog import CheckError, Evidence, Target

from .sources import SourceError, SutDocument, collect_documents
from .svrl import Issue
from .validator import DocumentError, parse_document

__all__ = ["ParsedDocument", "evidence_name", "parsed_documents", "report_issues", "subject_qualified"]


@dataclass(frozen=True)
class ParsedDocument:
    """A SUT document and its parsed root element."""

    source: SutDocument
    root: etree._Element


def evidence_name(doc: SutDocument, suffix: str) -> str:
    """A file-system-safe evidence name for a document."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", doc.name).strip("_") or "document"
    return f"{stem}{suffix}"


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
