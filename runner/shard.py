"""Sharded runs: one run spread over N processes or machines, then merged into one run.

    homolog run -r REF -t TARGET --shard 2/3 --out shard-2     # machine 2 of 3: its share
    homolog merge shard-1 shard-2 shard-3 --out run            # one run, as if run at once

**Share** (`assign`). The plan's cases are grouped into units that one process must run:

- an *execution*: the cases that run a check with the same parameters (the engine runs
  a check cited by several requirements once per parameters; its result counts for each);
- every case of a check that uses a sacrificial account (`tags=("sacrificial-account",)`):
  such checks hand state to each other through the run directory (`SharedState`), which
  shards on other machines do not see.

Units are dealt in plan order, each to the shard with the fewest cases so far (the
lowest number on a tie): the same referential and target give the same shares on every
machine, and shares differ in size by at most one unit.

**Shard** (`homolog run --shard K/N`). A complete run directory: its cases run, the others
recorded as deselected by `--shard K/N` (so a shard alone is `incomplete`), its
`MANIFEST.sha256`, and `inputs/shard.json` (K, N, the keys of its cases). `--resume` of
a shard keeps the share it started with.

**Merge** (`merge_shards`). Refuses shards that do not verify against their manifest, that
ran another referential (id, version or content), another target description or another
homolog version, that are not exactly the N shares of one N-way split, or whose results
stray outside their share. The merged run is what one unsharded run would have written:

    RUN/run.json           assembled from the plan and every shard's results (runfile.assemble_run)
    RUN/results.jsonl      every shard's results, in plan order
    RUN/evidence/          every shard's evidence, at the same paths
    RUN/inputs/            the first shard's inputs; session.json lists the shards merged
    RUN/shards/K/          each shard's own files but its evidence: run.json, results.jsonl,
                           inputs/, MANIFEST.sha256 (and its signature): `verify_shards`
                           checks each kept manifest against these files and RUN/evidence/
    RUN/MANIFEST.sha256    over all of it

Exceptions::

    ConfigError
     └── ShardError       a shard spec is malformed, or shards cannot be merged
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .attest import Waiver
from .errors import ConfigError, RunError
from .integrity import MANIFEST, IntegrityError, verify, write_manifest
from .plan import Case, PlannedRequirement, RunPlan
from .runfile import ReviewedAttestation, RunDocument, RunFormatError, RunRequirement, assemble_run, read_run
from .runstore import RunStore
from .verdicts import Verdict

__all__ = [
    "SHARD_FILE",
    "SHARD_FORMAT",
    "Shard",
    "ShardError",
    "assign",
    "merge_shards",
    "read_shard",
    "shard_cases",
    "verify_shards",
    "write_shard",
]

SHARD_FORMAT = "homolog.shard/1"
#: Where a shard records its share, beside the run's other inputs.
SHARD_FILE = "shard.json"
#: The tag of checks that share state through the run directory (see the module docstring).
STATEFUL_TAG = "sacrificial-account"
SHARDS_DIR = "shards"
_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
_SELECTION_SHARD = re.compile(r"\s*--shard \d+/\d+$")


class ShardError(ConfigError):
    """A shard spec is malformed, or shard directories cannot be merged into one run."""


@dataclass(frozen=True)
class Shard:
    """Shard `index` (1-based) of `count`."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """`K/N` with 1 ≤ K ≤ N (`--shard 2/3`)."""
        match = _SPEC.match(text)
        if not match:
            raise ShardError(f"--shard {text!r}: expected K/N, e.g. --shard 2/3 (the second of three shards)")
        index, count = int(match[1]), int(match[2])
        if count < 1 or not 1 <= index <= count:
            raise ShardError(f"--shard {text!r}: K must be between 1 and N (N ≥ 1), e.g. --shard 1/{max(count, 2)}")
        return cls(index, count)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


# --------------------------------------------------------------------------- shares


def unit_of(case: Case, tags: Callable[[str], Iterable[str]]) -> str:
    """The unit a case is dealt with: its check's, if the check keeps state across cases, else its execution's."""
    if STATEFUL_TAG in tags(case.ref.check):
        return f"check:{case.ref.check}"
    return f"execution:{case.execution}"


def assign(cases: Sequence[Case], count: int, tags: Callable[[str], Iterable[str]]) -> dict[str, int]:
    """Shard number (1-based) of every case key; see the module docstring for the rule."""
    units: dict[str, list[Case]] = {}
    for case in cases:
        units.setdefault(unit_of(case, tags), []).append(case)
    sizes = [0] * count
    out: dict[str, int] = {}
    for members in units.values():
        smallest = min(range(count), key=lambda i: (sizes[i], i))
        sizes[smallest] += len(members)
        for case in members:
            out[case.key] = smallest + 1
    return out


def shard_cases(plan: RunPlan, shard: Shard, tags: Callable[[str], Iterable[str]]) -> list[str]:
    """The keys of the cases `shard` runs, in plan order."""
    shares = assign(plan.cases, shard.count, tags)
    return [c.key for c in plan.cases if shares[c.key] == shard.index]


def write_shard(run_dir: Path, shard: Shard, cases: Sequence[str]) -> None:
    """Record the share of a shard run in `inputs/shard.json`."""
    record = {"format": SHARD_FORMAT, "index": shard.index, "count": shard.count, "cases": list(cases)}
    _write_json(Path(run_dir) / "inputs" / SHARD_FILE, record)


def read_shard(run_dir: Path) -> tuple[Shard, list[str]] | None:
    """The share recorded in a run directory, or None when the run is not a shard."""
    path = Path(run_dir) / "inputs" / SHARD_FILE
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text("utf-8"))
        if raw.get("format") != SHARD_FORMAT:
            raise ValueError(f"format is {raw.get('format')!r}, expected {SHARD_FORMAT!r}")
        cases = raw["cases"]
        if not isinstance(cases, list) or not all(isinstance(c, str) for c in cases):
            raise ValueError("'cases' is not a list of case keys")
        return Shard.parse(f"{raw['index']}/{raw['count']}"), cases
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ShardError(f"{path}: not a readable shard record ({exc})") from None


# --------------------------------------------------------------------------- merging


@dataclass(frozen=True)
class _Loaded:
    dir: Path
    shard: Shard
    cases: tuple[str, ...]
    session: Mapping[str, Any]
    doc: RunDocument


def merge_shards(shard_dirs: Sequence[Path | str], out: Path | str, *, pubkey: Path | str | None = None) -> RunDocument:
    """Merge the run directories of the N shards of one run into the run directory `out`.

    Each shard must verify against its manifest (and its signature, given `pubkey`).
    Raises `ShardError` naming what keeps the shards from being one run.
    """
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise ShardError(f"{out} is not empty; merge into a new folder")
    shards = _check_together([_load(Path(d), pubkey) for d in shard_dirs])
    first = shards[0]
    referential = RunStore(first.dir).saved_referential()
    plan = _plan(referential, shards)
    owner = {key: s for s in shards for key in s.cases}
    missing = [c.key for c in plan.cases if c.key not in owner]
    if missing or len(owner) != len(plan.cases):
        raise ShardError(
            f"the shards' shares do not cover the plan exactly: {len(missing)} case(s) in no shard"
            + (f" (first: {missing[0]})" if missing else "")
        )
    results: dict[str, Mapping[str, Any]] = {}
    for s in shards:
        for key, record in RunStore(s.dir).results().items():
            if owner.get(key) is not s:
                raise ShardError(f"{s.dir}: results.jsonl holds {key!r}, which is not in shard {s.shard}'s share")
            results[key] = record
    deselected = {
        case.key
        for planned in plan
        for case, chk in zip(planned.cases, _owner_checks(planned, owner), strict=True)
        if chk.deselected
    }
    selections = {_SELECTION_SHARD.sub("", s.doc.summary.deselected.selection or "") for s in shards}
    finished = max(dt.datetime.fromisoformat(s.doc.finished) for s in shards)
    starts = sorted(s.doc.started for s in shards if s.doc.started)
    doc = assemble_run(
        plan,
        target=first.session["target"],
        results=results,
        tool=dict(first.doc.tool),
        now=finished,
        run_id=str(uuid.uuid4()),
        started=starts[0] if starts else None,
        attestations=_attestations(first.doc),
        waivers=_waivers(s.doc for s in shards),
        deselected=deselected,
        selection=" ".join(sorted(x for x in selections if x)) or None,
    )
    _write_merged(out, shards, plan, results, doc)
    problems = verify_shards(out)
    if problems:  # the copy itself went wrong: nothing merged can be trusted
        raise ShardError(f"{out}: the merged run does not match its shards' manifests: " + "; ".join(problems[:5]))
    return doc


def _owner_checks(planned: PlannedRequirement, owner: Mapping[str, _Loaded]) -> list[Any]:
    """The check entries of a requirement's cases, each as the shard that owns it recorded it."""
    out = []
    for case in planned.cases:
        doc_req = owner[case.key].doc.requirement(planned.requirement.id)
        out.append(doc_req.checks[case.index])
    return out


def _load(path: Path, pubkey: Path | str | None) -> _Loaded:
    if not path.is_dir():
        raise ShardError(f"{path}: not a directory (expected the run directory of a shard)")
    recorded = read_shard(path)
    if recorded is None:
        raise ShardError(f"{path}: not a shard (no inputs/{SHARD_FILE}); shards are runs made with --shard K/N")
    try:
        check = verify(path, pubkey)
    except IntegrityError as exc:
        raise ShardError(f"{path}: {exc}") from None
    if not check.ok:
        raise ShardError(f"{path}: the shard does not verify against its manifest:\n{check.describe()}")
    try:
        session = RunStore(path).session()
        doc = read_run(path)
    except (RunError, RunFormatError) as exc:
        raise ShardError(str(exc)) from None
    shard, cases = recorded
    return _Loaded(path, shard, tuple(cases), session, doc)


def _check_together(shards: list[_Loaded]) -> list[_Loaded]:
    """The shards in index order, once each checked to be the N shares of one run."""
    if not shards:
        raise ShardError("no shard to merge")
    first = shards[0]
    for s in shards[1:]:
        for what, mine, theirs in (
            (
                "referential",
                (first.session.get("referential"), first.session.get("referential_sha256")),
                (s.session.get("referential"), s.session.get("referential_sha256")),
            ),
            ("target", first.session.get("target"), s.session.get("target")),
            ("homolog version", first.doc.tool.get("homolog"), s.doc.tool.get("homolog")),
            ("number of shards", first.shard.count, s.shard.count),
        ):
            if mine != theirs:
                raise ShardError(
                    f"{s.dir} is not a shard of the same run as {first.dir}: its {what} differs "
                    f"({_brief(theirs)} vs {_brief(mine)})"
                )
    by_index: dict[int, _Loaded] = {}
    for s in shards:
        if s.shard.index in by_index:
            raise ShardError(f"{s.dir} and {by_index[s.shard.index].dir} are both shard {s.shard}")
        by_index[s.shard.index] = s
    absent = [f"{i}/{first.shard.count}" for i in range(1, first.shard.count + 1) if i not in by_index]
    if absent:
        raise ShardError(f"shard(s) {', '.join(absent)} missing: a merge needs all {first.shard.count}")
    seen: dict[str, _Loaded] = {}
    for s in by_index.values():
        for key in s.cases:
            if key in seen:
                raise ShardError(f"case {key!r} is in the share of both {seen[key].dir} and {s.dir}")
            seen[key] = s
    return [by_index[i] for i in sorted(by_index)]


def _brief(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def _plan(referential: Any, shards: Sequence[_Loaded]) -> RunPlan:
    """The plan the shards followed, from the saved referential and what the shards decided about applicability.

    Applicability was decided by every shard from the same target (checked): the plan is
    rebuilt from their documents rather than by re-reading a target file the merging
    machine may not have.
    """
    first = shards[0].doc
    ids = [r.id for r in first.requirements]
    if ids != [r.id for r in referential.requirements]:
        raise ShardError(f"{shards[0].dir}: run.json does not list the requirements of inputs/referential.json")
    for s in shards[1:]:
        if [(r.id, r.verdict == Verdict.NOT_APPLICABLE, r.kind) for r in s.doc.requirements] != [
            (r.id, r.verdict == Verdict.NOT_APPLICABLE, r.kind) for r in first.requirements
        ]:
            raise ShardError(f"{s.dir}: its requirements or their applicability differ from {shards[0].dir}'s")
    planned = []
    for req, recorded in zip(referential.requirements, first.requirements, strict=True):
        if recorded.verdict == Verdict.NOT_APPLICABLE:
            planned.append(PlannedRequirement(req, recorded.reason or "not applicable", ()))
            continue
        cases: tuple[Case, ...] = ()
        if req.kind == "automated":
            if len(recorded.checks) != len(req.checks):
                raise ShardError(f"{shards[0].dir}: run.json lists {len(recorded.checks)} check(s) for {req.id}")
            pairs = zip(req.checks, recorded.checks, strict=True)
            cases = tuple(Case(req, ref, i, chk.title) for i, (ref, chk) in enumerate(pairs))
        planned.append(PlannedRequirement(req, None, cases))
    return RunPlan(referential, tuple(planned))


_EXPECTED_KEYS = ("evidence_expected", "proofs_expected")


def _attestations(doc: RunDocument) -> dict[str, ReviewedAttestation]:
    """The attestations as a shard reviewed them (every shard reviews the same ones: no case is involved)."""
    out = {}
    for req in doc.requirements:
        if req.kind != "manual" or req.attestation is None:
            continue
        if req.verdict == Verdict.ATTESTED:
            record = {k: v for k, v in req.attestation.items() if k not in _EXPECTED_KEYS}
            out[req.id] = ReviewedAttestation(record, None)
        elif req.verdict == Verdict.MANUAL and req.reason and req.reason != "awaiting attestation":
            out[req.id] = ReviewedAttestation({}, req.reason)
    return out


_EXPIRED = re.compile(r"^waiver expired on (\S+)$")


def _waivers(docs: Iterable[RunDocument]) -> dict[str, Waiver]:
    """The waivers the shards applied or found expired: a waiver only shows where a requirement failed."""
    out: dict[str, Waiver] = {}
    for doc in docs:
        for req in doc.requirements:
            out.update(_waiver_of(req))
    return out


def _waiver_of(req: RunRequirement) -> dict[str, Waiver]:
    if req.waiver is not None:
        w = req.waiver
        return {req.id: Waiver(req.id, str(w["justification"]), str(w["approver"]), str(w["expires"]))}
    expired = _EXPIRED.match(req.reason or "") if req.verdict == Verdict.FAILED else None
    return {req.id: Waiver(req.id, "", "", expired[1])} if expired else {}


def _write_merged(
    out: Path, shards: Sequence[_Loaded], plan: RunPlan, results: Mapping[str, Mapping[str, Any]], doc: RunDocument
) -> None:
    first = shards[0]
    out.mkdir(parents=True, exist_ok=True)
    (out / "inputs").mkdir()
    for name in ("referential.json", "target.yaml"):
        if (first.dir / "inputs" / name).exists():
            shutil.copyfile(first.dir / "inputs" / name, out / "inputs" / name)
    session = dict(first.session)
    session.update(
        run_id=doc.run_id,
        started=doc.started,
        merged_from=[
            {
                "shard": str(s.shard),
                "run_id": s.doc.run_id,
                "started": s.doc.started,
                "finished": s.doc.finished,
                "tool": dict(s.doc.tool),
                "kept_in": f"{SHARDS_DIR}/{s.shard.index}",
            }
            for s in shards
        ],
    )
    _write_json(out / "inputs" / "session.json", session)
    (out / "evidence").mkdir()
    for s in shards:
        _copy_evidence(s.dir / "evidence", out / "evidence")
        _keep_shard(s, out / SHARDS_DIR / str(s.shard.index))
    with (out / "results.jsonl").open("w", encoding="utf-8") as fh:
        for case in plan.cases:
            if case.key in results:
                fh.write(json.dumps(results[case.key], ensure_ascii=False, default=str) + "\n")
    _write_json(out / "run.json", doc.to_json())
    write_manifest(out)


def _copy_evidence(src: Path, dest: Path) -> None:
    """Copy a shard's evidence; a path two shards both hold must hold the same bytes (attestation copies)."""
    if not src.is_dir():
        return
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        target = dest / rel
        if path.is_symlink() or not (path.is_dir() or path.is_file()):
            raise ShardError(f"{path}: not a regular file; a run directory holds only regular files")
        if path.is_dir():
            target.mkdir(exist_ok=True)
        elif target.exists():
            if target.read_bytes() != path.read_bytes():
                raise ShardError(f"evidence/{rel.as_posix()} differs between two shards")
        else:
            shutil.copyfile(path, target)


def _keep_shard(s: _Loaded, dest: Path) -> None:
    """Everything of a shard but its evidence (now in the merged evidence/) and its derived reports."""
    dest.mkdir(parents=True)
    for entry in sorted(s.dir.iterdir()):
        if entry.name in ("evidence", "reports"):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, dest / entry.name, symlinks=True)
        else:
            shutil.copyfile(entry, dest / entry.name, follow_symlinks=False)


def verify_shards(run_dir: Path | str) -> list[str]:
    """Problems found checking each kept shard manifest of a merged run (empty when all match).

    A shard's manifest names its evidence as `evidence/...`, found at the same path in the
    merged run, and its other files, kept under `shards/K/`. A run that is not a merge has
    no `shards/` folder and nothing to check.
    """
    # The manifest's own reader and hasher: a kept manifest is read exactly as `verify` reads one.
    from .integrity import _parse_manifest, _sha256

    root = Path(run_dir)
    kept = root / SHARDS_DIR
    problems: list[str] = []
    if not kept.is_dir():
        return problems
    for folder in sorted(p for p in kept.iterdir() if p.is_dir()):
        manifest = folder / MANIFEST
        try:
            entries, bad = _parse_manifest(manifest.read_bytes())
        except OSError:
            problems.append(f"{folder.relative_to(root)}: {MANIFEST} missing")
            continue
        problems += [f"{folder.relative_to(root)}/{p}" for p in bad]
        for rel, digest in sorted(entries.items()):
            path = root / rel if rel.split("/", 1)[0] == "evidence" else folder / rel
            if not path.is_file() or path.is_symlink():
                problems.append(f"{folder.relative_to(root)}/{MANIFEST}: {rel} missing")
            elif _sha256(path) != digest:
                problems.append(f"{folder.relative_to(root)}/{MANIFEST}: {rel} changed")
    return problems


def _write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
