"""documents.header.ins: the INS in recordTarget, its OID, and only for qualified identities."""

from __future__ import annotations

from typing import Any

from homolog import CheckError, Evidence, Params, Target, check, fail

from .._support import evidence_name, parsed_documents, report_issues, subject_qualified
from ..header_rules import VALID_INS_OIDS, ins_issues


class InsParams(Params):
    """``allowed_oids``: OIDs accepted as INS root (INS-NIR, INS-NIA, test and demo NIR)."""

    allowed_oids: tuple[str, ...] = VALID_INS_OIDS


@check("documents.header.ins", params=InsParams)
def ins_in_record_target(target: Target, http: Any, evidence: Evidence, params: InsParams) -> None:
    """Documents carry the INS under a valid INS OID, and only for a qualified identity."""
    docs = parsed_documents(target, http, evidence)
    expected_ins = target.data.get("ins_qualified")
    expected_oid = target.data.get("ins_oid_qualified")
    problems: list[str] = []
    decided = 0
    for doc in docs:
        qualified = subject_qualified(target, doc.source)
        decided += qualified is not None
        issues = ins_issues(
            doc.root,
            qualified=qualified,
            allowed_oids=params.allowed_oids,
            expected_ins=str(expected_ins) if qualified and expected_ins else None,
            expected_oid=str(expected_oid) if qualified and expected_oid else None,
        )
        report_issues(evidence, evidence_name(doc.source, ".ins.json"), issues)
        problems.extend(f"{doc.source.name}: {i.message}" for i in issues)
    if problems:
        fail("; ".join(problems))
    if not decided:
        # The OID rule held, but "only for a qualified identity" was not verified.
        raise CheckError(
            "no document could be tied to the target's patient_qualified or"
            " patient_unqualified (DocumentReference.subject): the INS-only-when-qualified"
            " rule cannot be decided"
        )
