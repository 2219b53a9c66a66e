"""State that every process of one run shares: small JSON records in the run directory.

Checks run in several processes under xdist, and a resumed run is a new process: a
module-level dict would hold one worker's observations only. A check that must know
what an earlier check of the same run did to the system (an account it locked, a
password it changed) keeps it here instead::

    @check("security.auth.lockout", ...)
    def lockout(..., shared_state: SharedState) -> None:
        with shared_state.hold("security.auth.lockout", f"{base_url} {user}") as seen:
            if "locked_after" in seen: ...
            seen["locked_after"] = limit

`hold` is exclusive across the processes of the run (a file lock), for the whole
block: a second worker waits until the first has finished with the account. The
record is saved when the block ends, whatever the check's outcome. Records are plain
JSON under `<run dir>/shared/`; never put a secret in one.
"""

from __future__ import annotations

import copy
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["SharedState"]


class SharedState:
    """Named records shared by the processes of one run, each held under an exclusive lock."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    @contextmanager
    def hold(self, namespace: str, key: str) -> Iterator[dict[str, Any]]:
        """The record `key` of `namespace`, exclusively for this block; changes are saved at its end."""
        self.folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(f"{namespace}\0{key}".encode()).hexdigest()[:32]
        data_path = self.folder / f"{name}.json"
        fd = os.open(self.folder / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            record = self._read(data_path)
            before = copy.deepcopy(record)
            try:
                yield record
            finally:
                if record != before:
                    tmp = data_path.with_suffix(".tmp")
                    doc = {"namespace": namespace, "key": key, "record": record}
                    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
                    os.replace(tmp, data_path)
        finally:
            os.close(fd)  # releases the lock

    @staticmethod
    def _read(path: Path) -> dict[str, Any]:
        try:
            doc = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        record = doc.get("record") if isinstance(doc, dict) else None
        return dict(record) if isinstance(record, dict) else {}
