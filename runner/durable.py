"""Appending lines to a file shared by the processes of a run, so that a killed process
never leaves half of what it wrote: one `write` of whole lines under an exclusive lock,
then `fsync`. Readers drop a torn last line (a write cut by the machine going down).

A line is in the file once `write` returns: a process killed after it (SIGKILL included)
loses nothing. `fsync` guards against the machine going down; `GroupSync` shares one
among the lines written within an interval (group commit) and is flushed at the end."""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["GroupSync", "append_json_lines"]


def append_json_lines(
    path: Path, records: tuple[Mapping[str, Any], ...], *, mode: int = 0o644, sync: bool = True
) -> None:
    """Append one JSON line per record to `path` (created with `mode`), durably
    (`sync=False`: the caller syncs, see `GroupSync`)."""
    data = b"".join((json.dumps(r, ensure_ascii=False, default=str) + "\n").encode() for r in records)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, mode)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)


class GroupSync:
    """One `fsync` of `path` for the lines appended within `interval` seconds.

    `wrote()` after each append: the file is synced at once when the last sync is older
    than `interval`, else marked pending; `flush()` syncs what is pending (at the end of
    a session). A line written between two syncs is safe from a killed process, and is
    on disk at the next append, flush, or the kernel's own write-back.
    """

    def __init__(self, path: Path, interval: float = 0.2) -> None:
        self.path = path
        self.interval = interval
        self._last = float("-inf")
        self._pending = False
        self._lock = threading.Lock()

    def wrote(self) -> None:
        with self._lock:
            if time.monotonic() - self._last >= self.interval:
                self._sync()
            else:
                self._pending = True

    def flush(self) -> None:
        with self._lock:
            if self._pending:
                self._sync()

    def _sync(self) -> None:
        fd = os.open(self.path, os.O_RDONLY)  # fsync flushes the file whatever descriptor wrote it
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        self._last = time.monotonic()
        self._pending = False
