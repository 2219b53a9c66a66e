"""Client of the DMP simulator's control API, usable from any process."""

from __future__ import annotations

from typing import Any

from ..soap.control import ControlClient, ControlError

__all__ = ["ControlError", "DmpControl"]


class DmpControl(ControlClient):
    """Reads the ITI-41 exchanges, the documents they carried and the registry."""

    service = "DMP"

    def documents(self) -> list[dict[str, Any]]:
        """Documents the registry accepted (uniqueId, patient id, confidentiality)."""
        return list(self.call("GET", "documents"))

    def submissions(self, since: int = 0) -> list[dict[str, Any]]:
        """ITI-41 exchanges after ``since`` (rejected and unreadable messages included)."""
        return self.exchanges(since)

    def document(self, record: dict[str, Any], index: int = 0) -> bytes | None:
        """The bytes of the ``index``-th document of an exchange record (None if not kept)."""
        docs = record.get("documents") or []
        if index >= len(docs) or not docs[index].get("blob"):
            return None
        try:
            return self.blob(int(record["seq"]), str(docs[index]["blob"]))
        except ControlError:
            return None
