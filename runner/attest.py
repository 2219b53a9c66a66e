"""Attestations (manual evidence reviewed by an auditor) and waivers (accepted failures).

    # attestations.yaml                        # waivers.yaml
    format: homolog.attestations/1             format: homolog.waivers/1
    attestations:                              waivers:
      - requirement: SSI/IAM.91                  - requirement: SSI/IE.39
        evidence: proofs/iam91.pdf                 justification: "..."
        sha256: 3b5d...                            approver: "RSSI, Jane Doe"
        author: "Vendor QA"                        expires: 2027-03-31
        reviewer: "Auditor X"
        date: 2026-11-01
        expires: 2027-11-01

An attestation turns `manual` into `attested` only when its file exists, its SHA-256
matches and it has not expired; a waiver turns `failed` into `waived` until it expires.
Anything else leaves the verdict as it was, with the reason in the run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError, Problem
from .yamlsafe import load_yaml

__all__ = ["Attested", "Waiver", "load_attestations", "load_waivers"]


@dataclass(frozen=True)
class Attested:
    requirement: str
    file: Path
    sha256: str
    author: str
    reviewer: str
    date: str
    expires: str | None
    statement: str | None = None

    def problem(self, today: dt.date) -> str | None:
        """Why this attestation cannot be accepted, or None."""
        if not self.file.is_file():
            return f"attestation evidence {self.file} not found"
        digest = hashlib.sha256(self.file.read_bytes()).hexdigest()
        if digest != self.sha256.lower():
            return f"attestation evidence {self.file.name} has SHA-256 {digest}, not the declared {self.sha256}"
        if self.expires and dt.date.fromisoformat(self.expires) < today:
            return f"attestation expired on {self.expires}"
        return None

    def to_json(self, stored_as: str | None) -> dict[str, Any]:
        return {
            "file": stored_as,
            "sha256": self.sha256.lower(),
            "author": self.author,
            "reviewer": self.reviewer,
            "date": self.date,
            "expires": self.expires,
            "statement": self.statement,
        }


@dataclass(frozen=True)
class Waiver:
    requirement: str
    justification: str
    approver: str
    expires: str

    def active(self, today: dt.date) -> bool:
        return dt.date.fromisoformat(self.expires) >= today

    def to_json(self) -> dict[str, Any]:
        return {"justification": self.justification, "approver": self.approver, "expires": self.expires}


def _entries(path: Path, fmt: str, key: str, required: tuple[str, ...]) -> list[tuple[dict[str, Any], Any]]:
    doc = load_yaml(path)
    data = doc.data
    problems: list[Problem] = []
    if not isinstance(data, dict) or data.get("format") != fmt:
        raise ConfigError([doc.problem(("format",), f"expected format: {fmt}")])
    items = data.get(key)
    if not isinstance(items, list):
        raise ConfigError([doc.problem((key,), "expected a list")])
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(doc.problem((key, i), "expected a mapping"))
            continue
        for r in required:
            if not item.get(r):
                problems.append(doc.problem((key, i), f"missing required key {r!r}"))
        for datekey in ("date", "expires"):
            if item.get(datekey):
                try:
                    dt.date.fromisoformat(str(item[datekey]))
                except ValueError:
                    problems.append(doc.problem((key, i, datekey), "expected a date YYYY-MM-DD"))
        out.append((item, i))
    if problems:
        raise ConfigError(problems)
    return out


def load_attestations(path: Path) -> dict[str, Attested]:
    """Attestations by requirement id; evidence paths are relative to the file."""
    out = {}
    for item, _ in _entries(
        path,
        "homolog.attestations/1",
        "attestations",
        ("requirement", "evidence", "sha256", "author", "reviewer", "date"),
    ):
        ev = Path(str(item["evidence"]))
        out[str(item["requirement"])] = Attested(
            str(item["requirement"]),
            ev if ev.is_absolute() else path.parent / ev,
            str(item["sha256"]),
            str(item["author"]),
            str(item["reviewer"]),
            str(item["date"]),
            str(item["expires"]) if item.get("expires") else None,
            item.get("statement"),
        )
    return out


def load_waivers(path: Path) -> dict[str, Waiver]:
    """Waivers by requirement id."""
    out = {}
    for item, _ in _entries(
        path, "homolog.waivers/1", "waivers", ("requirement", "justification", "approver", "expires")
    ):
        out[str(item["requirement"])] = Waiver(
            str(item["requirement"]), str(item["justification"]), str(item["approver"]), str(item["expires"])
        )
    return out
