"""mss.sending.xdm_archive: documents travel as an IHE XDM archive (IHE_XDM.ZIP) laid out as IHE specifies."""

from __future__ import annotations

from homolog import CheckError, Evidence, check, error, fail
from homolog.counterparts.mss import MssControl, MssControlError

from ..exchange import Exchange, findings

_MAX_EVIDENCE_BYTES = 4 * 1024 * 1024


@check("mss.sending.xdm_archive")
def xdm_archive(mss_exchange: Exchange, mss_simulator: MssControl, evidence: Evidence) -> None:
    """The system sends its documents in an IHE_XDM.ZIP with INDEX.HTM, README.TXT and IHE_XDM/<subset>/METADATA.XML."""
    if not mss_exchange.messages:
        error("no message reached the simulator: the attachment was not observed")
    for message in mss_exchange.accepted:
        try:
            raw = mss_simulator.raw_message(message["seq"])
        except MssControlError as exc:
            raise CheckError(str(exc)) from exc
        if len(raw) <= _MAX_EVIDENCE_BYTES:
            # As text, so the evidence store redacts any configured secret the message carries.
            text = raw.decode("utf-8", "replace")
            evidence.attach_text(f"message-{message['seq']}.eml", text, media_type="message/rfc822")
    problems = findings(mss_exchange.messages, {"message", "xdm"})
    if problems:
        fail("; ".join(problems))
    if not any(m.get("xdm") for m in mss_exchange.accepted):
        fail("no message carried an IHE_XDM.ZIP")
