"""The run directory: results streamed as they happen, then `run.json`.

    run_dir/
      run.json            the run document (homolog.runfile), written at the end (atomically)
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
from pathlib import Path
from typing import Any

from . import __version__
from .attest import Attested, Waiver
from .errors import RunError
from .plan import RunPlan
from .referential import Referential
from .runfile import ReviewedAttestation, RunDocument, assemble_run
from .target import Target

__all__ = ["RunStore", "default_out_dir", "now_iso", "tool_versions"]


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def default_out_dir(referential: str | Path, *, stamp: str | None = None) -> Path:
    """`homolog-runs/<referential>-<time>`: where a run goes when no folder is given."""
    stamp = stamp or dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = str(referential)
    name = Path(text).stem if text.endswith((".yaml", ".yml")) else text.replace("@", "-")
    return Path("homolog-runs") / f"{name}-{stamp}"


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
        plan: RunPlan,
        target: Target,
        *,
        attestations: Mapping[str, Attested] | None = None,
        waivers: Mapping[str, Waiver] | None = None,
        deselected: Iterable[str] = (),
        selection: str | None = None,
        extra_tool: Mapping[str, str] | None = None,
        now: dt.datetime | None = None,
        cleanup: Mapping[str, Any] | None = None,
    ) -> RunDocument:
        """Write run.json: the plan the run followed, assembled with its results (atomically)."""
        now = now or dt.datetime.now(dt.UTC)
        session = self.session()
        doc = assemble_run(
            plan,
            target=session.get("target") or target.describe(),
            results=self.results(),
            tool=tool_versions(extra_tool),
            now=now,
            run_id=session.get("run_id"),
            started=session.get("started"),
            attestations=self._review_attestations(plan, attestations or {}, now.date()),
            waivers=waivers,
            deselected=set(deselected),
            selection=selection,
            cleanup=cleanup,
        )
        _write_json(self.dir / "run.json", doc.to_json())
        return doc

    def _review_attestations(
        self, plan: RunPlan, attestations: Mapping[str, Attested], today: dt.date
    ) -> dict[str, ReviewedAttestation]:
        """Check each attestation of a manual requirement; store a copy of the accepted files."""
        out = {}
        for planned in plan:
            att = attestations.get(planned.requirement.id)
            if att is None or planned.not_applicable is not None or planned.requirement.kind != "manual":
                continue
            problem = att.problem(today)
            stored = self._store_attestation(att) if problem is None else None
            out[att.requirement] = ReviewedAttestation(att.to_json(stored), problem)
        return out

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
