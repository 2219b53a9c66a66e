"""MTOM/XOP messages (SOAP 1.2 as ``multipart/related``), read from untrusted bytes.

The MIME layer is plain :mod:`email` parsing: the root part (``start`` parameter, else
the first part) is the XOP infoset of the SOAP envelope, the other parts are referenced
from it by ``<xop:Include href="cid:..."/>``. Bounds: the number of parts, and the body
size the HTTP layer already capped.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from email.message import Message
from urllib.parse import unquote

from ..soap.envelope import SoapError

__all__ = ["MAX_PARTS", "XOP_NS", "MimePart", "MtomMessage", "parse_mtom"]

XOP_NS = "http://www.w3.org/2004/08/xop/include"
MAX_PARTS = 32


@dataclass(frozen=True)
class MimePart:
    """One MIME part: its Content-ID (without angle brackets), type and decoded bytes."""

    content_id: str | None
    content_type: str
    data: bytes


@dataclass(frozen=True)
class MtomMessage:
    """The root (SOAP envelope bytes) and the attachments by Content-ID."""

    root: MimePart
    attachments: dict[str, MimePart]

    def resolve(self, href: str) -> MimePart | None:
        """The part an ``xop:Include/@href`` (``cid:...``) designates."""
        if not href.startswith("cid:"):
            return None
        return self.attachments.get(unquote(href[4:]))


def _cid(value: str | None) -> str | None:
    if not value:
        return None
    return value.strip().removeprefix("<").removesuffix(">").strip()


def _payload(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    if isinstance(data, bytes):
        return data
    raise SoapError("a MIME part of the message has no readable body")


def parse_mtom(content_type: str, body: bytes) -> MtomMessage:
    """Split an MTOM message; raise :class:`SoapError` naming what is wrong with it."""
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    msg = email.message_from_bytes(header + body, policy=email.policy.compat32)
    if msg.get_content_type() != "multipart/related":
        raise SoapError(
            f"Content-Type is {msg.get_content_type()!r}: a Provide and Register Document Set-b request"
            " is sent as MTOM/XOP (multipart/related)"
        )
    if not msg.get_param("boundary"):
        raise SoapError("the multipart/related Content-Type has no boundary parameter")
    if str(msg.get_param("type") or "").lower() != "application/xop+xml":
        raise SoapError(f"multipart/related type is {msg.get_param('type')!r}, expected application/xop+xml (XOP)")
    parts = msg.get_payload()
    if not isinstance(parts, list) or not parts:
        raise SoapError("the multipart message holds no part (wrong boundary?)")
    if len(parts) > MAX_PARTS:
        raise SoapError(f"the message holds {len(parts)} MIME parts, above the limit of {MAX_PARTS}")
    if msg.defects:
        raise SoapError(f"the MIME structure is malformed: {'; '.join(type(d).__name__ for d in msg.defects)}")
    start = _cid(str(msg.get_param("start") or "") or None)
    decoded = [
        MimePart(_cid(p.get("Content-ID")), p.get_content_type(), _payload(p)) for p in parts if isinstance(p, Message)
    ]
    root = next((p for p in decoded if start and p.content_id == start), None)
    if start and root is None:
        raise SoapError(f"the start part <{start}> named by the Content-Type is not in the message")
    root = root or decoded[0]
    if root.content_type != "application/xop+xml":
        raise SoapError(f"the root part is {root.content_type!r}, expected application/xop+xml")
    attachments = {p.content_id: p for p in decoded if p is not root and p.content_id}
    return MtomMessage(root=root, attachments=attachments)
