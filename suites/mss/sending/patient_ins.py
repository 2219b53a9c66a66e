"""mss.sending.patient_ins: the patient's INS and its OID are in the XDM metadata, as the CDA carries them."""

from __future__ import annotations

from homolog import CheckError, check, fail

from ..exchange import Exchange, findings


@check("mss.sending.patient_ins")
def patient_ins_in_metadata(mss_exchange: Exchange) -> None:
    """The XDM metadata identifies the patient by the INS and INS OID the CDA document carries."""
    problems = findings(mss_exchange.accepted, {"ins"})
    if problems:
        fail("; ".join(problems))
    with_ins = [d for m in mss_exchange.accepted for d in m.get("documents", []) if (d.get("cda") or {}).get("ins")]
    if not with_ins:
        raise CheckError(
            "no document sent carries an INS: trigger the sending of a document of a patient whose"
            " identity is qualified (settings.mss.trigger) to decide"
        )
