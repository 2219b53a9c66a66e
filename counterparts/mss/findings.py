"""What the simulator concluded about one exchange: a finding names its aspect and a reason.

Aspects (a stable vocabulary: checks select findings by aspect):

- ``transport``: TLS on the submission (STARTTLS or implicit TLS), its version, handshake;
- ``authentication``: the client certificate (mutual TLS) the operator requires;
- ``addresses``: sender and recipients in the MSSanté trust space;
- ``message``: the message as a whole (size limit, MIME structure, the IHE_XDM attachment);
- ``xdm``: the IHE XDM archive (zip layout, INDEX.HTM, README.TXT, METADATA.XML, documents);
- ``ins``: the patient's INS in the XDM metadata;
- ``headers``: the MSSanté headers ``X-MSS-INS``, ``X-MSS-CODECDA``, ``X-MSS-NIL``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

__all__ = ["ASPECTS", "Aspect", "Finding"]

Aspect = Literal["transport", "authentication", "addresses", "message", "xdm", "ins", "headers"]
ASPECTS: tuple[Aspect, ...] = ("transport", "authentication", "addresses", "message", "xdm", "ins", "headers")


@dataclass(frozen=True)
class Finding:
    """One problem found in what the SUT sent (``code`` is stable, ``message`` is for people)."""

    aspect: Aspect
    code: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)
