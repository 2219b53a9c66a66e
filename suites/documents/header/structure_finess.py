"""documents.header.structure_finess: the structure a document comes from, named by its FINESS."""

from __future__ import annotations

from typing import Any, Literal

from homolog import Evidence, Params, Target, check, fail

from .._support import evidence_name, parsed_documents, report_issues
from ..header_rules import structure_finess_issues


class StructureFinessParams(Params):
    """``places``: where the FINESS must be (``custodian``, ``author``: the organisation each
    author acts for); ``check_luhn``: verify the FINESS check digit; ``finess_datum``: the
    target data key holding the structure's own FINESS, compared when the target gives it."""

    places: tuple[Literal["custodian", "author"], ...] = ("custodian", "author")
    check_luhn: bool = True
    finess_datum: str = "organization_finess"


@check("documents.header.structure_finess", params=StructureFinessParams)
def structure_finess(target: Target, http: Any, evidence: Evidence, params: StructureFinessParams) -> None:
    """Documents name the structure they come from by its FINESS, as custodian and as the authors' organisation."""
    declared = target.data.get(params.finess_datum)
    expected = str(declared) if declared else None
    problems: list[str] = []
    for doc in parsed_documents(target, http, evidence):
        issues = structure_finess_issues(
            doc.root, places=params.places, check_luhn=params.check_luhn, expected_finess=expected
        )
        report_issues(evidence, evidence_name(doc.source, ".finess.json"), issues)
        problems.extend(f"{doc.source.name}: {i.message}" for i in issues)
    if problems:
        fail("; ".join(problems))
    if expected is None:
        # Every document names a well-formed FINESS; whose it is could not be compared.
        evidence.caveat(
            "structure-finess-not-compared",
            f"the target gives no data.{params.finess_datum}: the FINESS in the documents was checked"
            " for form and check digit, not compared with the structure's own",
            weakens="the FINESS is the structure's own",
        )
