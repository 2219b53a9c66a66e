"""documents.header.identity_traits: birth name, birth given names, sex, birth date and place."""

from __future__ import annotations

from typing import Any

from homolog import Evidence, Params, Target, check, fail

from .._support import evidence_name, parsed_documents, report_issues
from ..header_rules import identity_trait_issues


class TraitsParams(Params):
    """``require_birthplace``: the INSEE code of the birthplace is required."""

    require_birthplace: bool = True


@check("documents.header.identity_traits", params=TraitsParams)
def identity_traits(target: Target, http: Any, evidence: Evidence, params: TraitsParams) -> None:
    """Documents give the patient's birth name and given names, sex, birth date and birthplace."""
    problems: list[str] = []
    for doc in parsed_documents(target, http, evidence):
        issues = identity_trait_issues(doc.root, require_birthplace=params.require_birthplace)
        report_issues(evidence, evidence_name(doc.source, ".traits.json"), issues)
        problems.extend(f"{doc.source.name}: {i.message}" for i in issues)
    if problems:
        fail("; ".join(problems))
