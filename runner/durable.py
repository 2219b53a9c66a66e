"""Appending lines to a file shared by the processes of a run, so that a killed process
never leaves half of what it wrote: one `write` of whole lines under an exclusive lock,
then `fsync`. Readers drop a torn last line (a write cut by the machine going down)."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["append_json_lines"]


def append_json_lines(path: Path, records: tuple[Mapping[str, Any], ...], *, mode: int = 0o644) -> None:
    """Append one JSON line per record to `path` (created with `mode`), durably."""
    data = b"".join((json.dumps(r, ensure_ascii=False, default=str) + "\n").encode() for r in records)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, mode)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
