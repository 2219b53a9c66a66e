"""The run directory: results streamed as they happen, then `run.json`.

    run_dir/
      run.json            homolog.run/1, written at the end (atomically)
      results.jsonl       one line per finished check, appended and fsync'ed
      inputs/             referential.json (resolved), target.yaml (as given), session.json
      evidence/<case>/    what each check attached
      MANIFEST.sha256     written by homolog.integrity at the end

A killed run keeps every line already in results.jsonl; `--resume` reads them back,
drops a torn last line, and runs only the cases without a result.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import platform
import re
import shutil
import sys
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .attest import Attested, Waiver
from .errors import RunError
from .referential import CheckRef, Referential, Requirement
from .target import Target
from .verdicts import Verdict, roll_up, run_status, summarise

__all__ = ["Case", "RunStore", "applicability", "build_cases", "now_iso"]

RUN_FORMAT = "homolog.run/1"


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Case:
    """One pytest item: a requirement verified by one check with its parameters."""

    requirement: Requirement
    ref: CheckRef
    index: int

    @property
    def key(self) -> str:
        return f"{self.requirement.id}::{self.ref.check}::{self.ref.label or self.ref.params_digest}"

    @property
    def test_id(self) -> str:
        suffix = (
            f"[{self.ref.label}]" if self.ref.label else ("" if not self.ref.params else f"[{self.ref.params_digest}]")
        )
        return f"{self.requirement.id}::{self.ref.check}{suffix}"

    @property
    def slug(self) -> str:
        raw = f"{self.requirement.id}--{self.ref.check}--{self.ref.label or self.ref.params_digest}"
        return re.sub(r"[^A-Za-z0-9._-]+", "_", raw)[:150]


def applicability(req: Requirement, target: Target) -> str | None:
    """None when the requirement applies; otherwise the reason, naming the declaration."""
    options = target.options
    for key, accepted in req.applies_to.items():
        if key not in options:
            continue  # an undeclared option never excludes: the requirement applies
        declared = options[key]
        values = declared if isinstance(declared, list | tuple) else [declared]
        if not set(map(str, values)) & set(map(str, accepted)):
            where = f"{target.path.name}: " if target.path else ""
            return (
                f"{where}options.{key} = {json.dumps(declared, ensure_ascii=False)}; "
                f"the requirement applies to {key} in {json.dumps(list(accepted), ensure_ascii=False)}"
            )
    return None


def build_cases(referential: Referential, target: Target) -> list[Case]:
    """Pytest cases for every applicable automated requirement, in referential order."""
    cases = []
    for req in referential.requirements:
        if req.kind != "automated" or applicability(req, target) is not None:
            continue
        for i, ref in enumerate(req.checks):
            cases.append(Case(req, ref, i))
    return cases


class RunStore:
    """Reads and writes one run directory."""

    def __init__(self, run_dir: Path) -> None:
        self.dir = Path(run_dir)
        self.results_path = self.dir / "results.jsonl"
        self.inputs = self.dir / "inputs"

    # -- setup
    def prepare(self, referential: Referential, target: Target, *, resume: bool) -> None:
        """Create the folder and its inputs, or check a resumed one matches."""
        session = {
            "referential": referential.ref,
            "referential_sha256": referential.sha256,
            "target": target.describe(),
        }
        if resume:
            self.session()  # raises when the folder is not a run
            self.repair()
            return
        if self.results_path.exists() or (self.dir / "run.json").exists():
            raise RunError(f"{self.dir} already holds a run; use --resume to continue it, or another --out")
        self.inputs.mkdir(parents=True, exist_ok=True)
        (self.dir / "evidence").mkdir(exist_ok=True)
        _write_json(self.inputs / "referential.json", referential.to_json())
        if target.path is not None:
            shutil.copyfile(target.path, self.inputs / "target.yaml")
        session |= {"run_id": str(uuid.uuid4()), "started": now_iso(), "target_path": str(target.path or "")}
        _write_json(self.inputs / "session.json", session)
        self.results_path.touch()

    def session(self) -> dict[str, Any]:
        try:
            return json.loads((self.inputs / "session.json").read_text("utf-8"))  # type: ignore[no-any-return]
        except (OSError, ValueError) as exc:
            raise RunError(f"{self.dir} is not a homolog run directory (inputs/session.json: {exc})") from None

    def saved_referential(self) -> Referential:
        try:
            return Referential.from_json(json.loads((self.inputs / "referential.json").read_text("utf-8")))
        except (OSError, ValueError, KeyError) as exc:
            raise RunError(f"{self.dir}: cannot read inputs/referential.json ({exc})") from None

    # -- streaming results
    def append(self, record: Mapping[str, Any]) -> None:
        """Append one result line atomically (one write under an exclusive lock) and fsync."""
        line = (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode()
        fd = os.open(self.results_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def results(self) -> dict[str, dict[str, Any]]:
        """Finished results by case key (the last line for a key wins; torn lines ignored)."""
        out: dict[str, dict[str, Any]] = {}
        if not self.results_path.exists():
            return out
        with self.results_path.open("rb") as fh:
            for raw in fh:
                if not raw.endswith(b"\n"):
                    break  # torn last line of a killed run
                try:
                    rec = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(rec, dict) and "key" in rec:
                    out[rec["key"]] = rec
        return out

    def repair(self) -> None:
        """Cut a torn last line left by a killed run."""
        if not self.results_path.exists():
            return
        data = self.results_path.read_bytes()
        if data and not data.endswith(b"\n"):
            keep = data[: data.rfind(b"\n") + 1]
            with self.results_path.open("r+b") as fh:
                fh.truncate(len(keep))

    # -- final document
    def finalize(
        self,
        referential: Referential,
        target: Target,
        *,
        attestations: Mapping[str, Attested] | None = None,
        waivers: Mapping[str, Waiver] | None = None,
        deselected: Iterable[str] = (),
        extra_tool: Mapping[str, str] | None = None,
        today: dt.date | None = None,
    ) -> dict[str, Any]:
        """Assemble run.json from the results and write it atomically."""
        from .checks import registry

        today = today or dt.date.today()
        session = self.session()
        results = self.results()
        deselected = set(deselected)
        attestations = attestations or {}
        waivers = waivers or {}
        reqs_out = []
        check_verdicts: list[str] = []
        for req in referential.requirements:
            entry: dict[str, Any] = {
                "id": req.id,
                "title": req.title,
                "text": req.text.to_json(),
                "level": req.level,
                "family": req.family,
                "source": req.source.to_json(),
                "origin": req.origin,
                "kind": req.kind,
                "applies_to": {k: list(v) for k, v in req.applies_to.items()},
                "scenario": req.scenario.to_json() if req.scenario else None,
                "verdict": None,
                "reason": None,
                "attestation": None,
                "waiver": None,
                "checks": [],
            }
            reason = applicability(req, target)
            if reason is not None:
                entry.update(verdict=Verdict.NOT_APPLICABLE.value, reason=reason)
            elif req.kind == "automated":
                verdicts = []
                for i, ref in enumerate(req.checks):
                    case = Case(req, ref, i)
                    rec = results.get(case.key)
                    title = registry.get(ref.check).title if ref.check in registry else ref.check
                    if rec is None:
                        why = (
                            "deselected for this session"
                            if case.key in deselected
                            else "not run (interrupted or deselected)"
                        )
                        rec = {
                            "verdict": Verdict.SKIPPED.value,
                            "message": why,
                            "evidence": [],
                            "duration": 0.0,
                            "started": None,
                        }
                    verdicts.append(rec["verdict"])
                    check_verdicts.append(rec["verdict"])
                    entry["checks"].append(
                        {
                            "check": ref.check,
                            "label": ref.label,
                            "title": rec.get("title") or title,
                            "params": ref.params_json,
                            "verdict": rec["verdict"],
                            "message": rec.get("message"),
                            "evidence": rec.get("evidence") or [],
                            "duration": rec.get("duration"),
                            "started": rec.get("started"),
                        }
                    )
                verdict = roll_up(verdicts)
                waiver = waivers.get(req.id)
                if verdict == Verdict.FAILED and waiver is not None:
                    if waiver.active(today):
                        verdict = Verdict.WAIVED
                        entry["waiver"] = waiver.to_json()
                    else:
                        entry["reason"] = f"waiver expired on {waiver.expires}"
                entry["verdict"] = verdict.value
            elif req.kind == "manual":
                assert req.attestation is not None
                expected = req.attestation.evidence.to_json()
                att = attestations.get(req.id)
                entry["attestation"] = {
                    "evidence_expected": expected,
                    "proofs_expected": [p.to_json() for p in req.attestation.proofs],
                }
                problem = att.problem(today) if att else "awaiting attestation"
                if att is not None and problem is None:
                    stored = self._store_attestation(att)
                    entry["attestation"].update(att.to_json(stored))
                    entry["verdict"] = Verdict.ATTESTED.value
                else:
                    entry.update(verdict=Verdict.MANUAL.value, reason=problem)
            else:
                entry.update(verdict=Verdict.SKIPPED.value, reason=f"not tested: {req.not_tested}")
            reqs_out.append(entry)
        status = run_status(r["verdict"] for r in reqs_out)
        doc = {
            "format": RUN_FORMAT,
            "run_id": session.get("run_id"),
            "status": status.value,
            "started": session.get("started"),
            "finished": now_iso(),
            "referential": {
                "id": referential.id,
                "version": referential.version,
                "title": referential.title,
                "publisher": referential.publisher,
                "date": referential.date,
                "sha256": referential.sha256,
                "sources": list(referential.sources),
                "families": {k: v.to_json() for k, v in referential.families.items()},
            },
            "target": session.get("target") or target.describe(),
            "tool": tool_versions(extra_tool),
            "summary": {
                "requirements": summarise(r["verdict"] for r in reqs_out),
                "checks": summarise(check_verdicts),
                "total_requirements": len(reqs_out),
                "total_checks": len(check_verdicts),
                "by_kind": {
                    k: sum(1 for r in reqs_out if r["kind"] == k) for k in ("automated", "manual", "not_tested")
                },
            },
            "requirements": reqs_out,
        }
        _write_json(self.dir / "run.json", doc)
        return doc

    def _store_attestation(self, att: Attested) -> str:
        dest = self.dir / "evidence" / "attestations"
        dest.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", att.requirement) + "--" + att.file.name
        shutil.copyfile(att.file, dest / name)
        return (dest / name).relative_to(self.dir).as_posix()


def tool_versions(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    import pytest

    out = {
        "homolog": __version__,
        "python": platform.python_version(),
        "pytest": pytest.__version__,
        "platform": platform.platform(),
        "executable": sys.executable,
    }
    out.update(extra or {})
    return out


def _write_json(path: Path, obj: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
