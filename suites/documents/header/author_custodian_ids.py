"""documents.header.author_custodian_ids: idNatPS of authors and idNatSt of the custodian."""

from __future__ import annotations

from typing import Any

from homolog import Evidence, Params, Target, check, fail

from .._support import evidence_name, parsed_documents, report_issues
from ..header_rules import author_id_issues, custodian_id_issues


class IdentifierParams(Params):
    """``check_luhn``: also verify RPPS / FINESS / SIREN / SIRET check digits."""

    check_luhn: bool = False


@check("documents.header.author_custodian_ids", params=IdentifierParams)
def author_custodian_ids(target: Target, http: Any, evidence: Evidence, params: IdentifierParams) -> None:
    """Document authors are identified by their idNatPS and the custodian by its idNatSt."""
    problems: list[str] = []
    for doc in parsed_documents(target, http, evidence):
        issues = author_id_issues(doc.root, check_luhn=params.check_luhn)
        issues += custodian_id_issues(doc.root, check_luhn=params.check_luhn)
        report_issues(evidence, evidence_name(doc.source, ".identifiers.json"), issues)
        problems.extend(f"{doc.source.name}: {i.message}" for i in issues)
    if problems:
        fail("; ".join(problems))
