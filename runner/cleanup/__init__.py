"""Leaving the system as the run found it: the cleanup ledger and the clean-up itself.

With `data_policy: create`, checks may create what they need (test data, resources a
write check posts); whatever the run creates or changes through the HTTP client is
written to the ledger of the run directory as it happens (`record_write`), and removed
at the end of the run, on Ctrl-C, by a resumed run or by `homolog cleanup RUN`
(`clean_up`): created resources are deleted, changed ones put back as they were.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import CheckError, HomologError
from ..target import Target
from .ledger import Entry, Ledger, location_of, resource_url

if TYPE_CHECKING:
    from ..auth.client import Client

__all__ = ["WRITES", "CleanupSummary", "Entry", "Ledger", "TestData", "clean_up", "record_write", "resource_url"]

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Answers to a DELETE that mean the resource is gone.
_GONE = frozenset({200, 202, 204, 404, 410})


def record_write(
    ledger: Ledger,
    bases: Mapping[str, str],
    *,
    method: str,
    url: str,
    status: int,
    content: bytes,
    location: str | None,
    before: Any,
    by: str | None,
) -> None:
    """Write to the ledger what a successful write did to a resource (see ledger.py)."""
    if not 200 <= status < 300:
        return
    named = resource_url(url, bases)
    # A POST, or a conditional PUT/PATCH on the type (`[type]?criteria`) that matched nothing:
    # the resource created is named by the answer, not by the URL.
    if method == "POST" or (named is None and status == 201):
        for found in _created_by_post(url, content, location, bases):
            if ledger.find(found[0]) is None:
                ledger.created(*found, by=by)
        return
    if named is None:
        return
    known = ledger.find(named[0])
    if method == "DELETE":
        if known is not None and known.op == "created":
            ledger.outcome(known.uid, "removed", f"DELETE by the check -> {status}")
        elif known is None and before is not None:
            ledger.changed(*named, before, by=by)
        return
    if known is not None:
        return  # created or already changed by this run: the first record says what to undo
    if status == 201 or before is None:
        ledger.created(*named, by=by)  # an update that created the resource (upsert)
    else:
        ledger.changed(*named, before, by=by)


def _created_by_post(
    url: str, content: bytes, location: str | None, bases: Mapping[str, str]
) -> list[tuple[str, str, str]]:
    try:
        body = json.loads(content) if content else None
    except (ValueError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict) and body.get("resourceType") == "Bundle" and "response" in str(body.get("type")):
        out = []
        for entry in body.get("entry") or []:
            loc = (entry.get("response") or {}).get("location") if isinstance(entry, dict) else None
            found = location_of(loc, url, bases) if isinstance(loc, str) else None
            if found is not None and str((entry.get("response") or {}).get("status", "")).startswith("201"):
                out.append(found)
        return out
    found = location_of(location, url, bases)
    if found is None and isinstance(body, dict) and isinstance(body.get("id"), str):
        found = resource_url(url.split("?", 1)[0].rstrip("/") + "/" + body["id"], bases)
    return [found] if found is not None else []


@dataclass
class CleanupSummary:
    """What a clean-up found and did (recorded in run.json under `cleanup`)."""

    created: int = 0
    changed: int = 0
    removed: int = 0
    restored: int = 0
    remaining: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "changed": self.changed,
            "removed": self.removed,
            "restored": self.restored,
            "remaining": self.remaining,
        }

    def describe(self) -> str:
        done = f"{self.removed} of {self.created} created resource(s) removed"
        done += f", {self.restored} of {self.changed} changed one(s) restored"
        if self.remaining:
            left = ", ".join(f"{r['type']}/{r['id']}" for r in self.remaining[:5])
            return f"{done}; {len(self.remaining)} left on the system ({left})"
        return done


def clean_up(ledger: Ledger, client: Client, *, auth: Mapping[str, str] | None = None) -> CleanupSummary:
    """Delete what the run created and restore what it changed; never raises for the system's answers.

    `auth` names the auth entry to use per base URL (default: the entry named like the base,
    when the target declares one).
    """
    target = client.target
    for entry in ledger.pending():
        try:
            how, ok = _undo(entry, client, _auth_for(target, entry.url, auth))
        except (CheckError, HomologError) as exc:
            how, ok = f"{type(exc).__name__}: {exc}", False
        ledger.outcome(entry.uid, ("removed" if entry.op == "created" else "restored") if ok else "failed", how)
    summary = CleanupSummary()
    for entry in ledger.entries():
        if entry.op == "created":
            summary.created += 1
            summary.removed += entry.outcome == "removed"
        else:
            summary.changed += 1
            summary.restored += entry.outcome == "restored"
        if entry.pending:
            summary.remaining.append(entry.to_json())
    return summary


def _undo(entry: Entry, client: Client, auth: str | None) -> tuple[str, bool]:
    if entry.op == "created":
        resp = client.request("DELETE", entry.url, auth=auth, follow_redirects=False)
        return f"DELETE -> {resp.status_code}", resp.status_code in _GONE
    before = dict(entry.before or {})
    before.pop("meta", None)  # the server keeps its own version and timestamps
    resp = client.request(
        "PUT",
        entry.url,
        auth=auth,
        content=json.dumps(before).encode(),
        headers={"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"},
        follow_redirects=False,
    )
    return f"PUT (as before the run) -> {resp.status_code}", 200 <= resp.status_code < 300


def _auth_for(target: Target, url: str, auth: Mapping[str, str] | None) -> str | None:
    # the longest base the URL is under: `web` at https://host and `dicomweb` at
    # https://host/dicom-web both hold https://host/dicom-web/studies/1
    for name, base in sorted(target.base_urls.items(), key=lambda nb: -len(nb[1].rstrip("/"))):
        if url.startswith(base.rstrip("/") + "/"):
            if auth and name in auth:
                return auth[name]
            return name if target.auth(name) is not None else None
    return None


class TestData:
    """Test data a check needs: the target's own, or made by the run when the target lets it write.

    `get(key, make)` returns the target's `data.<key>`; when the target declares none and
    says `data_policy: create`, the first check to ask calls `make()` (which creates the
    resource through the API and returns its id) and every later one, in any process of
    the run, gets the same id. What `make` creates is in the ledger (the HTTP client
    records it) and is removed at the end of the run.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, target: Target, ledger: Ledger | None) -> None:
        self.target = target
        self.ledger = ledger

    def get(self, key: str, make: Any) -> str:
        if key in self.target.data:
            return str(self.target.data[key])
        if self.target.data_policy != "create" or self.ledger is None:
            raise CheckError(
                f"the target declares no data.{key}, and the run may not create it "
                f"(data_policy: {self.target.data_policy}): declare the id of one under data.{key}, "
                "or let the run create its own with data_policy: create"
            )
        with self.ledger.hold(f"data-{key}"):
            made = self.ledger.made(key)
            if made is not None:
                return made.id
            rid = str(make())
            entry = next((e for e in self.ledger.pending() if e.id == rid and e.op == "created"), None)
            if entry is None:
                raise CheckError(f"data.{key}: the resource made ({rid}) is not in the run's ledger: cannot remove it")
            self.ledger.label(entry.uid, key)
            return rid
