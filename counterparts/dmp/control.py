"""Client of the DMP simulator's control API, usable from any process."""

from __future__ import annotations

import base64
from typing import Any

from ..soap.control import ControlClient, ControlError

__all__ = ["ControlError", "DmpControl"]


class DmpControl(ControlClient):
    """Reads the exchanges (feeding and consultation), the documents they carried and the
    registry; seeds documents a patient's DMP already holds."""

    service = "DMP"

    def documents(self) -> list[dict[str, Any]]:
        """Documents the registry accepted (uniqueId, patient id, confidentiality)."""
        return list(self.call("GET", "documents"))

    def seed(
        self,
        *,
        patient_id: str,
        title: str,
        content: bytes,
        unique_id: str | None = None,
        type_code: dict[str, str] | None = None,
        creation_time: str | None = None,
        authors: list[str] | None = None,
    ) -> dict[str, Any]:
        """Put a document in the DMP of ``patient_id`` (CX ``INS^^^&OID&ISO^NH``); its registry record."""
        body: dict[str, Any] = {
            "patient_id": patient_id,
            "title": title,
            "content_base64": base64.b64encode(content).decode("ascii"),
            "authors": authors or [],
        }
        if unique_id is not None:
            body["unique_id"] = unique_id
        if type_code is not None:
            body["type_code"] = type_code
        if creation_time is not None:
            body["creation_time"] = creation_time
        return dict(self.call("POST", "documents", body))

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
