"""mss.sending.cda_conforms: the CDA documents inside the XDM archive pass the CDA XSD and their volet schematron."""

from __future__ import annotations

from homolog import CheckError, Evidence, Target, check, fail
from homolog.counterparts.mss import MssControl, MssControlError
from homolog.suites.documents.schematron import SchematronError
from homolog.suites.documents.target_validator import validator_for
from homolog.suites.documents.validator import DocumentError

from ..exchange import Exchange

_MAX_LISTED = 10


@check("mss.sending.cda_conforms")
def cda_conforms(mss_exchange: Exchange, mss_simulator: MssControl, target: Target, evidence: Evidence) -> None:
    """The CDA documents the system sends through MSSanté pass the CDA XSD and their CI-SIS volet schematron."""
    validator = validator_for(target)
    cdas = [(m, d) for m in mss_exchange.accepted for d in m.get("documents", []) if d.get("cda") is not None]
    if not cdas:
        raise CheckError("no CDA document arrived in an IHE_XDM archive: their conformity cannot be decided")
    problems: list[str] = []
    for message, doc in cdas:
        name = f"message-{message['seq']}-doc-{doc['index']}"
        try:
            content = mss_simulator.document(message["seq"], doc["index"])
        except MssControlError as exc:
            raise CheckError(str(exc)) from exc
        evidence.attach_bytes(f"{name}.xml", content, media_type="application/xml")
        try:
            report = validator.validate(content)
        except DocumentError as exc:
            problems.append(f"{doc['path']} (message {message['seq']}): {exc}")
            continue
        except SchematronError as exc:
            raise CheckError(f"{doc['path']}: {exc}") from exc
        if report.svrl is not None:
            evidence.attach_text(f"{name}.svrl.xml", report.svrl, media_type="application/xml")
        evidence.attach_json(f"{name}.validation.json", report.to_dict())
        if report.volet is None and not any(i.source == "xsd" for i in report.errors):
            raise CheckError(f"{doc['path']}: no known CI-SIS volet templateId, no schematron to apply")
        if report.errors:
            shown = "; ".join(str(i) for i in report.errors[:_MAX_LISTED])
            volet = report.volet.name if report.volet else "unknown volet"
            problems.append(
                f"{doc['path']} (message {message['seq']}, {volet}): {len(report.errors)} error(s): {shown}"
            )
    if problems:
        fail(f"{len(problems)} of {len(cdas)} CDA document(s) are not valid: " + " | ".join(problems))
