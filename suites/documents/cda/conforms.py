"""documents.cda.conforms: XSD and CI-SIS volet schematron validation of the SUT's documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homolog import CheckError, Evidence, Params, Target, check, fail

from .._support import evidence_name
from ..schematron import SchematronError
from ..sources import SourceError, collect_documents
from ..svrl import Issue
from ..target_validator import validator_for
from ..validator import DocumentError, parse_document
from ..volets import CISIS_TEMPLATE_IDS


class ConformanceParams(Params):
    """``fail_on_warnings``: count schematron warnings as failures too."""

    fail_on_warnings: bool = False
    max_listed: int = 10


@check("documents.cda.conforms", params=ConformanceParams)
def cda_conforms(target: Target, http: Any, evidence: Evidence, params: ConformanceParams) -> None:
    """The CDA documents the system produces pass the CDA XSD and their CI-SIS volet schematron."""
    validator = validator_for(target)
    try:
        docs = collect_documents(target, http)
    except SourceError as exc:
        raise CheckError(str(exc)) from exc
    problems: list[str] = []
    undecided: list[str] = []
    for doc in docs:
        evidence.attach_bytes(evidence_name(doc, ".xml"), doc.content, media_type="application/xml")
        try:
            report = validator.validate(doc.content)
        except DocumentError as exc:
            problems.append(f"{doc.name}: {exc}")
            continue
        except SchematronError as exc:
            raise CheckError(f"{doc.name}: {exc}") from exc
        if report.svrl is not None:
            evidence.attach_text(evidence_name(doc, ".svrl.xml"), report.svrl, media_type="application/xml")
        for profile, svrl in report.profile_svrl.items():
            evidence.attach_text(
                evidence_name(doc, f".{Path(profile).stem}.svrl.xml"), svrl, media_type="application/xml"
            )
        evidence.attach_json(evidence_name(doc, ".validation.json"), report.to_dict())
        bad: list[Issue] = report.errors
        if report.volet is None and declares_cisis(doc.content) and not any(i.source == "xsd" for i in bad):
            # A CI-SIS document of a volet this harness does not know: no verdict on it.
            undecided.append(
                f"{doc.name}: CI-SIS document of an unknown volet (no known volet templateId), no schematron to apply"
            )
            continue
        if params.fail_on_warnings:
            bad = [i for i in report.issues if i.severity in ("error", "warning")]
        if bad:
            volet = report.volet.name if report.volet else "unknown volet"
            shown = "; ".join(str(i) for i in bad[: params.max_listed])
            extra = len(bad) - params.max_listed
            more = f" (+{extra} more)" if extra > 0 else ""
            problems.append(f"{doc.name} ({volet}): {len(bad)} error(s): {shown}{more}")
    if problems:
        fail(f"{len(problems)} of {len(docs)} document(s) are not valid: " + " | ".join(problems))
    if undecided:
        raise CheckError("; ".join(undecided))


def declares_cisis(content: bytes) -> bool:
    """True when the document declares the CI-SIS conformance templateIds."""
    root = parse_document(content).getroot()
    roots = {t.get("root") for t in root.findall("{urn:hl7-org:v3}templateId")}
    return all(t in roots for t in CISIS_TEMPLATE_IDS)
