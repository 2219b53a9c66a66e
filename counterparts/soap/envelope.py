"""SOAP 1.2 envelopes from untrusted bytes: safe parsing, faults, sanitised copies.

Every parser here refuses DTDs (no entity can be declared, so none is expanded), never
touches the network and stays within libxml2's default depth and size limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

__all__ = [
    "SOAP11_NS",
    "SOAP12_NS",
    "WSA_NS",
    "WSSE_NS",
    "Envelope",
    "SoapError",
    "fault",
    "parse_envelope",
    "parse_xml",
    "safe_parser",
    "sanitise_envelope",
]

SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
WSA_NS = "http://www.w3.org/2005/08/addressing"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
_REDACTED = "[redacted by homolog]"
# Elements whose content is a credential: WS-Security tokens, SAML assertions, signatures.
_SECRET_LOCAL_NAMES = frozenset({"BinarySecurityToken", "Assertion", "SignatureValue", "Password", "Nonce"})


class SoapError(Exception):
    """A message that cannot be processed; ``code`` is the SOAP 1.2 fault code.

    ``Sender`` for what the client sent (malformed XML, DTD, not an envelope),
    ``VersionMismatch`` for a SOAP 1.1 envelope, ``Receiver`` for the simulator's own faults.
    """

    def __init__(self, reason: str, *, code: str = "Sender", subcode: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.subcode = subcode


def safe_parser() -> etree.XMLParser:
    """An lxml parser for untrusted XML: no entities resolved, no DTD, no network."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
    )


def parse_xml(data: bytes, *, what: str) -> etree._Element:
    """Parse untrusted XML; a DOCTYPE or malformed input raises :class:`SoapError`."""
    # A DTD is refused before parsing: it is the only way to declare entities (XXE,
    # "billion laughs"), and no SOAP message needs one (SOAP 1.2 part 1, 5).
    head = data[:4096].lstrip()
    if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
        raise SoapError(f"{what} declares a DTD (<!DOCTYPE): refused, SOAP messages must not carry one")
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise SoapError(f"{what} is not well-formed XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise SoapError(f"{what} declares a DTD (<!DOCTYPE): refused, SOAP messages must not carry one")
    return root


@dataclass(frozen=True)
class Envelope:
    """A parsed SOAP 1.2 envelope: its header blocks, the body's first element, addressing."""

    root: etree._Element
    header: etree._Element | None
    payload: etree._Element
    action: str | None
    message_id: str | None

    def header_block(self, local_name: str) -> etree._Element | None:
        """The first header block with this local name (any namespace)."""
        if self.header is None:
            return None
        for child in self.header:
            if isinstance(child.tag, str) and etree.QName(child).localname == local_name:
                return child
        return None


def parse_envelope(data: bytes, *, what: str = "the SOAP message") -> Envelope:
    """Parse a SOAP 1.2 envelope; anything else raises :class:`SoapError` with the reason."""
    root = parse_xml(data, what=what)
    tag = etree.QName(root)
    if tag.localname != "Envelope":
        raise SoapError(f"{what}: root element is {tag.localname!r}, expected a SOAP Envelope")
    if tag.namespace == SOAP11_NS:
        raise SoapError(f"{what} is a SOAP 1.1 envelope; this service speaks SOAP 1.2", code="VersionMismatch")
    if tag.namespace != SOAP12_NS:
        raise SoapError(f"{what}: Envelope namespace is {tag.namespace!r}, expected {SOAP12_NS}")
    header = root.find(f"{{{SOAP12_NS}}}Header")
    body = root.find(f"{{{SOAP12_NS}}}Body")
    if body is None:
        raise SoapError(f"{what} has no SOAP Body")
    payload = next((c for c in body if isinstance(c.tag, str)), None)
    if payload is None:
        raise SoapError(f"{what} has an empty SOAP Body")
    action = message_id = None
    if header is not None:
        a = header.find(f"{{{WSA_NS}}}Action")
        m = header.find(f"{{{WSA_NS}}}MessageID")
        action = (a.text or "").strip() if a is not None else None
        message_id = (m.text or "").strip() if m is not None else None
    return Envelope(root=root, header=header, payload=payload, action=action, message_id=message_id)


def fault(reason: str, *, code: str = "Sender", subcode: str | None = None, action: str | None = None) -> bytes:
    """A SOAP 1.2 Fault envelope (UTF-8 bytes)."""
    env = etree.Element(f"{{{SOAP12_NS}}}Envelope", nsmap={"env": SOAP12_NS, "wsa": WSA_NS})
    if action:
        header = etree.SubElement(env, f"{{{SOAP12_NS}}}Header")
        etree.SubElement(header, f"{{{WSA_NS}}}Action").text = action
    body = etree.SubElement(env, f"{{{SOAP12_NS}}}Body")
    f = etree.SubElement(body, f"{{{SOAP12_NS}}}Fault")
    c = etree.SubElement(f, f"{{{SOAP12_NS}}}Code")
    etree.SubElement(c, f"{{{SOAP12_NS}}}Value").text = f"env:{code}"
    if subcode:
        sc = etree.SubElement(c, f"{{{SOAP12_NS}}}Subcode")
        etree.SubElement(sc, f"{{{SOAP12_NS}}}Value").text = subcode
    r = etree.SubElement(f, f"{{{SOAP12_NS}}}Reason")
    text = etree.SubElement(r, f"{{{SOAP12_NS}}}Text")
    text.set("{http://www.w3.org/XML/1998/namespace}lang", "fr")
    text.text = reason
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))


def sanitise_envelope(root: Any, *, max_chars: int = 256 * 1024) -> str:
    """A copy of the envelope as text with credentials (tokens, assertions) redacted.

    Kept as evidence: what the system sent, minus what must never reach disk.
    """
    copy = etree.fromstring(etree.tostring(root), safe_parser())
    for el in copy.iter():
        if not isinstance(el.tag, str):
            continue
        if etree.QName(el).localname in _SECRET_LOCAL_NAMES:
            for child in list(el):
                el.remove(child)
            el.text = _REDACTED
    text = str(etree.tostring(copy, encoding="unicode"))
    if len(text) > max_chars:
        return text[:max_chars] + f"\n<!-- truncated by homolog: {len(text)} characters -->"
    return text
