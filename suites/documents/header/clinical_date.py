"""documents.header.clinical_date: the date of the clinical act (DMP/HISTO.03)."""

from __future__ import annotations

from typing import Any

from homolog import Evidence, Target, check, fail

from .._support import evidence_name, parsed_documents, report_issues
from ..header_rules import clinical_date_issues


@check("documents.header.clinical_date")
def clinical_date(target: Target, http: Any, evidence: Evidence) -> None:
    """Documents state the date of the clinical act (documentationOf/serviceEvent/effectiveTime)."""
    problems: list[str] = []
    for doc in parsed_documents(target, http, evidence):
        issues = clinical_date_issues(doc.root)
        report_issues(evidence, evidence_name(doc.source, ".clinical-date.json"), issues)
        problems.extend(f"{doc.source.name}: {i.message}" for i in issues)
    if problems:
        fail("; ".join(problems))
