"""The record of every exchange a simulator had, bounded in count and in bytes.

Records are JSON-ready dicts with a sequence number (``seq``, from 1, never reused while
the simulator runs) so that a check notes where the log stood, makes the system act, and
reads only what came after. Large binary parts (documents) are kept beside the records
and dropped oldest first beyond ``max_blob_bytes``.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict
from typing import Any

__all__ = ["ExchangeLog"]


class ExchangeLog:
    """Thread-safe, bounded list of exchange records and their binary parts."""

    def __init__(self, *, max_records: int = 500, max_blob_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_records = max_records
        self.max_blob_bytes = max_blob_bytes
        self._lock = threading.Lock()
        self._records: list[dict[str, Any]] = []
        self._blobs: OrderedDict[tuple[int, str], bytes] = OrderedDict()
        self._blob_bytes = 0
        self._seq = 0

    @property
    def last_seq(self) -> int:
        """Sequence number of the latest record (0 when none)."""
        with self._lock:
            return self._seq

    def add(self, record: dict[str, Any], blobs: dict[str, bytes] | None = None) -> int:
        """Append a record (``seq`` and ``time`` are set here) and its binary parts."""
        with self._lock:
            self._seq += 1
            seq = self._seq
            record = dict(record, seq=seq, time=record.get("time", time.time()))
            record["blobs"] = sorted(blobs or {})
            self._records.append(record)
            del self._records[: -self.max_records]
            for name, data in (blobs or {}).items():
                self._blobs[(seq, name)] = data
                self._blob_bytes += len(data)
            while self._blob_bytes > self.max_blob_bytes and self._blobs:
                _, dropped = self._blobs.popitem(last=False)
                self._blob_bytes -= len(dropped)
            return seq

    def since(self, seq: int = 0) -> list[dict[str, Any]]:
        """Deep copies of the records after ``seq``, oldest first."""
        with self._lock:
            return [copy.deepcopy(r) for r in self._records if r["seq"] > seq]

    def get(self, seq: int) -> dict[str, Any] | None:
        """A deep copy of record ``seq`` (None when unknown or already dropped)."""
        with self._lock:
            found = next((r for r in self._records if r["seq"] == seq), None)
            return copy.deepcopy(found) if found is not None else None

    def blob(self, seq: int, name: str) -> bytes | None:
        """A binary part of record ``seq`` (None when unknown or dropped for space)."""
        with self._lock:
            return self._blobs.get((seq, name))

    def clear(self) -> None:
        """Forget every record (sequence numbers keep growing)."""
        with self._lock:
            self._records.clear()
            self._blobs.clear()
            self._blob_bytes = 0
