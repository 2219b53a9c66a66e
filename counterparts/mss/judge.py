"""Judging one message the SUT submitted: addresses, MIME, IHE_XDM attachment, INS, MSSanté headers.

Rules (paraphrased from the MSSanté client referential, « Référentiel socle MSSanté #2 »,
and IHE ITI XDM):

- sender and recipients are MSSanté addresses: their domain belongs to the MSSanté trust
  space (a sub-domain of ``mssante.fr``); the sender is a mailbox of this operator;
- documents travel as an IHE XDM archive named ``IHE_XDM.ZIP``;
- the patient is identified in the XDM metadata (``patientId``) by the INS and its OID,
  the same the CDA document carries;
- ``X-MSS-NIL`` is on every message; ``X-MSS-CODECDA`` lists the ``code`` of the CDA
  documents of the archive and ``X-MSS-INS`` says ``O`` when a qualified INS is in the
  archive, ``N`` otherwise; neither is set on a message without CDA in an XDM archive.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from typing import Any

from .findings import Finding
from .xdm import INS_OIDS, XdmArchive, XdmLimits, parse_cx, read_xdm

__all__ = ["JudgeConfig", "Judgement", "address_domain", "judge_message", "mssante_address"]

XDM_NAME = "IHE_XDM.ZIP"
#: Mon espace santé mailboxes: ``<INS (15 characters, 2A/2B for Corsica)>@patient.mssante.fr``.
PATIENT_DOMAIN = "patient.mssante.fr"
_INS_LOCAL = re.compile(r"\d{5}(?:\d{2}|2[AB])\d{8}", re.IGNORECASE)
_RECORDED_HEADERS = (
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "X-MSS-INS",
    "X-MSS-CODECDA",
    "X-MSS-NIL",
    "X-MSS-MES",
)
_MAX_PARTS = 64
_MAX_HEADER_CHARS = 500


@dataclass(frozen=True)
class JudgeConfig:
    """What the operator accepts."""

    operator_domains: tuple[str, ...]
    trust_suffixes: tuple[str, ...] = ("mssante.fr",)
    ins_oids: tuple[str, ...] = INS_OIDS
    limits: XdmLimits = field(default_factory=XdmLimits)


@dataclass
class Judgement:
    """The findings on one message and what was read from it."""

    findings: list[Finding] = field(default_factory=list)
    headers: dict[str, list[str]] = field(default_factory=dict)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    xdm: XdmArchive | None = None


def address_domain(address: str) -> str | None:
    """The domain of ``local@domain`` (lower case), None when it is not an address."""
    local, sep, domain = address.strip().strip("<>").rpartition("@")
    if not sep or not local or not domain or any(c.isspace() for c in address.strip().strip("<>")):
        return None
    return domain.lower().rstrip(".")


def mssante_address(address: str, suffixes: tuple[str, ...]) -> bool:
    """True when the address's domain is in the MSSanté trust space (``*.mssante.fr``)."""
    domain = address_domain(address)
    return domain is not None and any(domain == s or domain.endswith("." + s) for s in suffixes)


def _judge_addresses(mail_from: str, rcpt_tos: list[str], config: JudgeConfig, out: Judgement) -> None:
    sender = mail_from.strip("<>")
    if not mssante_address(sender, config.trust_suffixes):
        out.findings.append(
            Finding("addresses", "sender-not-mssante", f"sender {sender!r} is not an MSSanté address (*.mssante.fr)")
        )
    elif address_domain(sender) not in config.operator_domains:
        out.findings.append(
            Finding(
                "addresses",
                "sender-not-operated",
                f"sender {sender!r} is not a mailbox of this operator ({', '.join(config.operator_domains)})",
            )
        )
    for rcpt in rcpt_tos:
        if not mssante_address(rcpt, config.trust_suffixes):
            out.findings.append(
                Finding(
                    "addresses",
                    "recipient-not-mssante",
                    f"recipient {rcpt!r} is outside the MSSanté trust space (*.mssante.fr)",
                )
            )
        elif address_domain(rcpt) == PATIENT_DOMAIN and not _INS_LOCAL.fullmatch(rcpt.strip("<>").rpartition("@")[0]):
            # A patient's mailbox (Mon espace santé) is named after the patient's INS.
            out.findings.append(
                Finding(
                    "addresses",
                    "patient-address-not-ins",
                    f"recipient {rcpt!r}: a patient's MSSanté address is <INS>@{PATIENT_DOMAIN}",
                )
            )


def _header_values(msg: Message, name: str) -> list[str]:
    values = []
    for raw in msg.get_all(name) or []:
        text = re.sub(r"\r?\n[ \t]+", " ", str(raw)).strip()
        with contextlib.suppress(Exception):  # an undecodable encoded word is recorded as sent
            text = str(make_header(decode_header(text)))
        values.append(text[:_MAX_HEADER_CHARS])
    return values


def _judge_headers(out: Judgement) -> None:
    xdm = out.xdm
    cdas = [d.cda for d in (xdm.documents if xdm else []) if d.cda is not None]
    nil = [v.strip() for v in out.headers.get("X-MSS-NIL", []) if v.strip()]
    if not nil:
        out.findings.append(
            Finding(
                "headers", "x-mss-nil-missing", "no X-MSS-NIL header (the product reference is due on every message)"
            )
        )
    codecda = out.headers.get("X-MSS-CODECDA", [])
    ins = [v.strip() for v in out.headers.get("X-MSS-INS", [])]
    if not cdas:
        if codecda:
            out.findings.append(
                Finding(
                    "headers",
                    "x-mss-codecda-unexpected",
                    "X-MSS-CODECDA is set but the message carries no CDA in IHE_XDM",
                )
            )
        if ins:
            out.findings.append(
                Finding("headers", "x-mss-ins-unexpected", "X-MSS-INS is set but the message carries no CDA in IHE_XDM")
            )
        return
    declared = {c.strip() for v in codecda for c in v.split(",") if c.strip()}
    carried = {c.code for c in cdas if c.code}
    if not codecda:
        # A CDA without code has nothing to list (its own conformity is judged elsewhere).
        if carried:
            out.findings.append(
                Finding(
                    "headers",
                    "x-mss-codecda-missing",
                    f"the message carries CDA ({', '.join(sorted(carried))}) in IHE_XDM but no X-MSS-CODECDA header",
                )
            )
    else:
        if carried - declared:
            out.findings.append(
                Finding(
                    "headers",
                    "x-mss-codecda-incomplete",
                    f"X-MSS-CODECDA {sorted(declared)} omits the code(s) {sorted(carried - declared)} of the CDA sent",
                )
            )
        if declared - carried:
            out.findings.append(
                Finding(
                    "headers",
                    "x-mss-codecda-wrong",
                    f"X-MSS-CODECDA lists {sorted(declared - carried)}, which no CDA of the archive carries"
                    f" (codes carried: {sorted(carried) or 'none'})",
                )
            )
    expected = "O" if any(c.qualified for c in cdas) else "N"
    if not ins:
        out.findings.append(
            Finding(
                "headers",
                "x-mss-ins-missing",
                f"the message carries CDA in IHE_XDM but no X-MSS-INS (expected {expected})",
            )
        )
    elif len(ins) > 1 or ins[0] != expected:
        why = "a qualified INS is" if expected == "O" else "no qualified INS (INS, INS OID and the four traits) is"
        out.findings.append(
            Finding(
                "headers",
                "x-mss-ins-wrong",
                f"X-MSS-INS is {', '.join(ins)!s} but {why} in the archive: expected {expected}",
            )
        )


def _judge_ins(out: Judgement, config: JudgeConfig) -> None:
    xdm = out.xdm
    if xdm is None:
        return
    cda_docs = [d for d in xdm.documents if d.cda is not None]
    if not cda_docs:
        return
    if not any(xdm.metadata.values()):
        out.findings.append(
            Finding(
                "ins",
                "no-metadata",
                "the archive has no METADATA.XML: the patient's INS is not in the message metadata",
            )
        )
        return
    for doc in cda_docs:
        assert doc.cda is not None
        if doc.entry_id is None:
            continue  # a document of a subset without metadata: reported by the xdm findings
        if doc.patient_id is None:
            out.findings.append(
                Finding("ins", "no-patient-id", f"{doc.path}: the document entry has no patientId in METADATA.XML")
            )
            continue
        ident, oid = parse_cx(doc.patient_id)
        if doc.cda.ins is not None:
            if (ident, oid) != (doc.cda.ins, doc.cda.ins_oid):
                out.findings.append(
                    Finding(
                        "ins",
                        "patient-id-mismatch",
                        f"{doc.path}: metadata patientId {doc.patient_id!r} is not the INS the document carries"
                        f" ({doc.cda.ins} under {doc.cda.ins_oid})",
                    )
                )
        elif oid in config.ins_oids:
            out.findings.append(
                Finding(
                    "ins",
                    "patient-id-not-in-document",
                    f"{doc.path}: metadata patientId {doc.patient_id!r} is an INS the document does not carry"
                    " (no patientRole/id under an INS OID)",
                )
            )
    for pid in xdm.submission_patient_ids:
        ins_ids = {(d.cda.ins, d.cda.ins_oid) for d in cda_docs if d.cda is not None and d.cda.ins}
        if ins_ids and parse_cx(pid) not in ins_ids:
            out.findings.append(
                Finding("ins", "submission-patient-id", f"submission set patientId {pid!r} is not the documents' INS")
            )


def _walk(msg: Message, out: Judgement) -> list[Message]:
    parts: list[Message] = []
    for part in msg.walk():
        parts.append(part)
        if len(parts) > _MAX_PARTS:
            out.findings.append(Finding("message", "mime-too-many-parts", f"more than {_MAX_PARTS} MIME parts"))
            break
    return parts


def judge_message(mail_from: str, rcpt_tos: list[str], raw: bytes, config: JudgeConfig) -> Judgement:
    """Judge one accepted message; malformed input becomes findings, never an exception."""
    out = Judgement()
    _judge_addresses(mail_from, rcpt_tos, config, out)
    try:
        # compat32: ten times faster than policy.default, and headers are recorded as sent.
        msg = BytesParser(policy=policy.compat32).parsebytes(raw)
        for name in _RECORDED_HEADERS:
            values = _header_values(msg, name)
            if values:
                out.headers[name] = values
        for defect in msg.defects[:5]:
            out.findings.append(
                Finding("message", "mime-malformed", f"message header: {type(defect).__name__}: {defect}")
            )
        xdm_parts: list[bytes] = []
        for part in _walk(msg, out):
            for defect in part.defects[:5]:
                out.findings.append(
                    Finding("message", "mime-malformed", f"MIME part: {type(defect).__name__}: {defect}")
                )
            if part.is_multipart():
                continue
            filename = part.get_filename()
            if filename is None and part.get_content_disposition() != "attachment":
                continue
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            out.attachments.append(
                {
                    "filename": (filename or "")[:200],
                    "content_type": part.get_content_type(),
                    "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            )
            if (filename or "").strip().casefold() == XDM_NAME.casefold():
                xdm_parts.append(data)
    except Exception as exc:  # the email package raises on pathological input; that is the sender's fault
        out.findings.append(
            Finding("message", "mime-malformed", f"the message cannot be parsed as MIME: {exc!r}"[:300])
        )
        return out
    if not xdm_parts:
        out.findings.append(
            Finding("message", "no-xdm-attachment", f"the message has no {XDM_NAME} attachment (IHE XDM archive)")
        )
    else:
        if len(xdm_parts) > 1:
            out.findings.append(
                Finding("message", "several-xdm", f"{len(xdm_parts)} {XDM_NAME} attachments; the first is judged")
            )
        out.xdm = read_xdm(xdm_parts[0], limits=config.limits, ins_oids=config.ins_oids)
        out.findings.extend(out.xdm.findings)
        _judge_ins(out, config)
    _judge_headers(out)
    return out
