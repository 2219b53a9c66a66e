"""The cleanup ledger: every resource a run created or changed on the system, and what became of it.

    cleanup/ledger.jsonl      one JSON line per event, appended under a lock (every process
                              of the run writes here), fsync'ed: a killed run loses nothing

    {"op": "created", "uid", "url", "type", "id", "by", "at"}
    {"op": "changed", "uid", "url", "type", "id", "before": <the resource before>, "by", "at"}
    {"op": "key", "uid", "key"}                   test data made for the target's data.<key>
    {"op": "removed" | "restored" | "failed", "uid", "how", "at"}

An entry is pending until it is `removed` (a created resource deleted) or `restored` (a
changed one put back as it was); a `failed` attempt leaves it pending for the next
clean-up (`homolog cleanup RUN`, or a resumed run). The HTTP client records what a run
writes (`observe`), whichever check wrote it; nothing else needs to remember.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..durable import append_json_lines

__all__ = ["Entry", "Ledger", "resource_url"]

_ID = r"[A-Za-z0-9\-.]{1,64}"
_RESOURCE = re.compile(rf"^(?P<type>[A-Z][A-Za-z]{{1,63}})/(?P<id>{_ID})(?:/_history/{_ID})?/?$")
_DONE = ("removed", "restored")


@dataclass
class Entry:
    """A resource the run created or changed, folded from its ledger lines."""

    uid: str
    op: str  # created | changed
    url: str
    type: str
    id: str
    by: str | None = None
    before: Any = None
    key: str | None = None
    outcome: str | None = None  # removed | restored | failed
    how: str | None = None

    @property
    def pending(self) -> bool:
        return self.outcome not in _DONE

    def to_json(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "type": self.type,
            "id": self.id,
            "url": self.url,
            "by": self.by,
            "key": self.key,
            "outcome": self.outcome or "pending",
            "how": self.how,
        }


def resource_url(url: str, bases: Mapping[str, str]) -> tuple[str, str, str] | None:
    """(resource URL without history or query, type, id) when `url` names `[base]/Type/id`."""
    clean = url.split("?", 1)[0].split("#", 1)[0]
    for base in bases.values():
        root = base.rstrip("/") + "/"
        if clean.startswith(root):
            m = _RESOURCE.match(clean[len(root) :])
            if m:
                return f"{root}{m.group('type')}/{m.group('id')}", m.group("type"), m.group("id")
    return None


class Ledger:
    """The ledger of one run directory."""

    def __init__(self, run_dir: Path) -> None:
        self.path = Path(run_dir) / "cleanup" / "ledger.jsonl"

    def append(self, record: Mapping[str, Any]) -> None:
        """One line, written whole under an exclusive lock and fsync'ed."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        append_json_lines(self.path, (record,), mode=0o600)

    @contextlib.contextmanager
    def hold(self, name: str) -> Iterator[None]:
        """Exclusive across the run's processes for the block (making one piece of test data once)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:80]
        fd = os.open(self.path.parent / f".{safe}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def entries(self) -> list[Entry]:
        """Every resource in the ledger, in the order first written (torn lines ignored)."""
        found: dict[str, Entry] = {}
        by_url: dict[str, Entry] = {}
        if not self.path.exists():
            return []
        with self.path.open("rb") as fh:
            for raw in fh:
                if not raw.endswith(b"\n"):
                    break
                try:
                    rec = json.loads(raw)
                except ValueError:
                    continue
                if not isinstance(rec, dict):
                    continue
                op = rec.get("op")
                if op in ("created", "changed"):
                    known = by_url.get(str(rec.get("url")))
                    if known is not None and known.pending:
                        continue  # the first record of a resource holds what to undo
                    entry = Entry(
                        str(rec["uid"]),
                        str(op),
                        str(rec["url"]),
                        str(rec["type"]),
                        str(rec["id"]),
                        rec.get("by"),
                        rec.get("before"),
                    )
                    found[entry.uid] = by_url[entry.url] = entry
                elif rec.get("uid") in found:
                    entry = found[rec["uid"]]
                    if op == "key":
                        entry.key = rec.get("key")
                    elif op in (*_DONE, "failed"):
                        entry.outcome, entry.how = str(op), rec.get("how")
        return list(found.values())

    def pending(self) -> list[Entry]:
        return [e for e in self.entries() if e.pending]

    def find(self, url: str) -> Entry | None:
        """The pending entry of a resource URL, if the run wrote it."""
        return next((e for e in self.pending() if e.url == url), None)

    def made(self, key: str) -> Entry | None:
        """The pending resource made for `data.<key>` by this run."""
        return next((e for e in self.pending() if e.key == key and e.op == "created"), None)

    # -- what the HTTP client reports
    def created(self, url: str, rtype: str, rid: str, *, by: str | None) -> str:
        uid = uuid.uuid4().hex
        self.append({"op": "created", "uid": uid, "url": url, "type": rtype, "id": rid, "by": by, "at": _now()})
        return uid

    def changed(self, url: str, rtype: str, rid: str, before: Any, *, by: str | None) -> None:
        record = {"op": "changed", "uid": uuid.uuid4().hex, "url": url, "type": rtype, "id": rid, "by": by}
        self.append(record | {"before": before, "at": _now()})

    def label(self, uid: str, key: str) -> None:
        self.append({"op": "key", "uid": uid, "key": key})

    def outcome(self, uid: str, op: str, how: str) -> None:
        self.append({"op": op, "uid": uid, "how": how, "at": _now()})


def _now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def location_of(location: str | None, request_url: str, bases: Mapping[str, str]) -> tuple[str, str, str] | None:
    """The resource a Location header names (relative Locations resolved against the request)."""
    if not location:
        return None
    from urllib.parse import urljoin

    absolute = urljoin(request_url, location)
    if urlsplit(absolute).scheme not in ("http", "https"):
        return None
    return resource_url(absolute, bases)
