"""The run directory: results streamed as they happen, then `run.json`.

    run_dir/
      run.json            the run document (homolog.runfile), written at the end (atomically)
      results.jsonl       one line per finished check, appended and fsync'ed
      results.quarantined.jsonl   lines a resume found corrupt, moved out with the reason
      inputs/             referential.json (resolved), target.yaml (as given), session.json
      evidence/<case>/    what each check attached
      MANIFEST.sha256     written by homolog.integrity at the end

A killed run keeps every line already in results.jsonl; `--resume` reads them back,
drops a torn last line, and runs only the cases without a result. A line that is not a
finished result (not JSON, an unknown verdict, a second line for a key already finished)
is corruption: the first finished verdict of a key stands and the line is moved to
results.quarantined.jsonl with the reason.

While a run is alive its folder is locked (`RunStore.lock`, an advisory lock on the
folder itself, released by the kernel when the process ends, however it ends): a second
run or a `--resume` of a live run is refused, naming the holder's pid (.homolog-lock).
A killed run leaves no lock: its resume is accepted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import platform
import re
import shutil
import sys
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .attest import Attested, Waiver
from .durable import GroupSync, append_json_lines
from .errors import RunError
from .evidence import SEPARATOR, indented_json
from .plan import RunPlan
from .referential import Referential
from .runfile import ReviewedAttestation, RunDocument, assemble_run
from .target import Target

__all__ = [
    "CHECK_VERDICTS",
    "LOCK_FILE",
    "QUARANTINE",
    "BadLine",
    "RunStore",
    "default_out_dir",
    "now_iso",
    "tool_versions",
]

#: The verdicts a finished check can have in results.jsonl.
CHECK_VERDICTS = frozenset({"passed", "failed", "error", "skipped"})
QUARANTINE = "results.quarantined.jsonl"
#: Who holds a live run's folder (a pid); not part of the run (homolog.integrity skips it).
LOCK_FILE = ".homolog-lock"


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def default_out_dir(referential: str | Path, *, stamp: str | None = None) -> Path:
    """`homolog-runs/<referential>-<time>`: where a run goes when no folder is given."""
    stamp = stamp or dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = str(referential)
    name = Path(text).stem if text.endswith((".yaml", ".yml")) else text.replace("@", "-")
    return Path("homolog-runs") / f"{name}-{stamp}"


@dataclass(frozen=True)
class BadLine:
    """A line of results.jsonl that is not a finished result."""

    number: int  # 1-based
    reason: str
    raw: bytes

    def describe(self) -> str:
        return f"results.jsonl line {self.number}: {self.reason}"


class RunStore:
    """Reads and writes one run directory."""

    def __init__(self, run_dir: Path) -> None:
        self.dir = Path(run_dir)
        self.results_path = self.dir / "results.jsonl"
        self._sync = GroupSync(self.results_path)
        self.inputs = self.dir / "inputs"

    # -- the run's lock
    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder for the life of the run; RunError naming the holder when a live run holds it.

        The lock is on the folder itself, so it cannot be left behind: the processes forked
        by the holder share it and the kernel releases it when the last one ends, however
        it ends. LOCK_FILE only tells a refused run who holds the folder.
        """
        try:
            fd = os.open(self.dir, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError as exc:
            raise RunError(f"{self.dir}: cannot open the run directory ({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise RunError(
                f"{self.dir} is in use by a homolog run that is still alive ({self._holder()}); wait for it"
                " to end, or stop it, before running or resuming into this folder"
            ) from None
        info = self.dir / LOCK_FILE
        try:
            info.write_text(f"{os.getpid()}\n")
            yield
        finally:
            with contextlib.suppress(OSError):
                info.unlink()
            os.close(fd)

    def _holder(self) -> str:
        try:
            pid = (self.dir / LOCK_FILE).read_text().strip()
        except OSError:
            return "holder pid unknown"  # it is between taking the lock and writing its pid
        return f"pid {pid}" if pid.isdigit() else "holder pid unknown"

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
            self._check_results_file()
            return
        if self.results_path.exists() or (self.dir / "run.json").exists():
            raise RunError(f"{self.dir} already holds a run; use --resume to continue it, or another --out")
        try:
            self.inputs.mkdir(parents=True, exist_ok=True)
            (self.dir / "evidence").mkdir(exist_ok=True)
            _write_json(self.inputs / "referential.json", referential.to_json())
            if target.path is not None:
                shutil.copyfile(target.path, self.inputs / "target.yaml")
            session |= {"run_id": str(uuid.uuid4()), "started": now_iso(), "target_path": str(target.path or "")}
            _write_json(self.inputs / "session.json", session)
            self.results_path.touch()
        except OSError as exc:
            where = exc.filename or self.dir
            raise RunError(f"{self.dir}: cannot write the run directory ({where}: {exc.strerror})") from None

    def _check_results_file(self) -> None:
        if self.results_path.is_dir():
            raise RunError(
                f"{self.results_path} is a folder, not the results file: {self.dir} is not a usable run"
                " directory; start a new run with another --out"
            )
        if self.results_path.exists() and not os.access(self.results_path, os.R_OK | os.W_OK):
            raise RunError(f"{self.results_path}: cannot read and write the results file")

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
    def append(self, *records: Mapping[str, Any]) -> None:
        """Append result lines atomically (one write under an exclusive lock), synced in groups.

        The lines of one execution shared by several requirements go in one write. A line
        is in the file when this returns (a killed process loses none); the lines of
        ~0.2 s share one fsync (`GroupSync`), and `flush()` syncs the rest at the end. A
        killed run keeps whole lines only (a torn last line is left out on reading); a
        case left without its line runs on resume.
        """
        append_json_lines(self.results_path, records, sync=False)
        self._sync.wrote()

    def flush(self) -> None:
        """Sync the result lines not synced yet (the end of a session)."""
        self._sync.flush()

    def results(self) -> dict[str, dict[str, Any]]:
        """Finished results by key: the first line of a key stands; corrupt and torn lines are left out."""
        return self.read_results()[0]

    def read_results(self) -> tuple[dict[str, dict[str, Any]], list[BadLine]]:
        """Finished results by key, and the lines that are not finished results (see the module docstring)."""
        out: dict[str, dict[str, Any]] = {}
        bad: list[BadLine] = []
        if not self.results_path.is_file():
            return out, bad
        with self.results_path.open("rb") as fh:
            for number, raw in enumerate(fh, start=1):
                if not raw.endswith(b"\n"):
                    break  # torn last line of a killed run
                reason, rec = _result_problem(raw)
                if rec is not None and reason is None and rec["key"] in out:
                    reason = f"a second result for {rec['key']}: the first one stands"
                if reason is not None or rec is None:
                    bad.append(BadLine(number, reason or "not a result", raw))
                    continue
                out[rec["key"]] = rec
        return out, bad

    def repair(self) -> list[BadLine]:
        """Make results.jsonl a file of finished results again, before a resume appends to it.

        Cuts a torn last line left by a killed run, and moves every corrupt line to
        results.quarantined.jsonl with the reason (the first finished verdict of a key
        stands). Returns the lines moved.
        """
        self._check_results_file()
        if not self.results_path.exists():
            return []
        data = self.results_path.read_bytes()
        if data and not data.endswith(b"\n"):
            data = data[: data.rfind(b"\n") + 1]
            with self.results_path.open("r+b") as fh:
                fh.truncate(len(data))
        _, bad = self.read_results()
        if not bad:
            return []
        drop = {b.number for b in bad}
        kept = [line for n, line in enumerate(data.splitlines(keepends=True), start=1) if n not in drop]
        with (self.dir / QUARANTINE).open("ab") as fh:
            for b in bad:
                entry = {"line": b.number, "reason": b.reason, "raw": b.raw.decode("utf-8", "replace").rstrip("\n")}
                fh.write((json.dumps(entry, ensure_ascii=False) + "\n").encode())
        tmp = self.results_path.with_suffix(".jsonl.tmp")
        tmp.write_bytes(b"".join(kept))
        os.replace(tmp, self.results_path)
        return bad

    def sweep_evidence(self) -> list[str]:
        """Before a resume: remove the evidence files no finished result names; the paths removed.

        They are what checks killed with their session left (they run again). The
        attestation copies and the run's own files (`_cleanup@...`) stay; so does anything
        not named as a check's evidence. A folder of the layout before evidence was flat
        (`evidence/<slug>/`) goes when no result names a file in it.
        """
        folder = self.dir / "evidence"
        if not folder.is_dir():
            return []
        kept = {p for rec in self.results().values() for p in rec.get("evidence") or ()}
        removed: list[str] = []
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            rel = f"evidence/{entry.name}"
            if entry.name == "attestations" or entry.name.startswith("_"):
                continue
            if entry.is_dir(follow_symlinks=False):
                if not any(p.startswith(rel + "/") for p in kept):
                    shutil.rmtree(entry.path, ignore_errors=True)
                    removed.append(rel + "/")
            elif SEPARATOR in entry.name and rel not in kept:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                removed.append(rel)
        return removed

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


def _result_problem(raw: bytes) -> tuple[str | None, dict[str, Any] | None]:
    """Why a line of results.jsonl is not a finished result (None when it is), and the line parsed."""
    try:
        rec = json.loads(raw)
    except ValueError:
        return "not JSON", None
    if not isinstance(rec, dict):
        return "not a JSON object", None
    if not isinstance(rec.get("key"), str) or not rec["key"]:
        return "no key", None
    verdict = rec.get("verdict")
    if verdict not in CHECK_VERDICTS:
        known = ", ".join(sorted(CHECK_VERDICTS))
        return f"verdict {verdict!r} of {rec['key']} is not a verdict of a check ({known})", None
    if not isinstance(rec.get("message"), str | None):
        return f"the message of {rec['key']} is not text", None
    evidence = rec.get("evidence") or []
    if not isinstance(evidence, list) or not all(isinstance(p, str) and p.startswith("evidence/") for p in evidence):
        return f"the evidence of {rec['key']} is not a list of paths under evidence/", None
    if not isinstance(rec.get("duration"), int | float | None) or isinstance(rec.get("duration"), bool):
        return f"the duration of {rec['key']} is not a number", None
    if not isinstance(rec.get("started"), str | None):
        return f"the start time of {rec['key']} is not text", None
    return None, rec


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
    """`obj` as indented JSON (the text of `json.dumps(indent=2)`, `indented_json` writes it faster), atomically."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(indented_json(obj) + "\n", encoding="utf-8")
    os.replace(tmp, path)
