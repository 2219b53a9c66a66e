"""The run format `homolog.run/2`: the one typed run document, assembled, written and read here.

    assemble_run(plan, results, ...) -> RunDocument     pure: what run.json says
    RunDocument.to_json() -> dict                       what is written (atomically, by runstore)
    read_run(run_dir) -> RunDocument                    the one reader: CLI, refdiff, reports, tests

Every document read is checked against the published schema
(`referentials/run.schema.json`, `homolog schema run`) before it is typed, and a
document that departs from it is refused with the file and the JSON path of each
problem. A `homolog.run/1` document (written before `-k` deselection was recorded) is
read too: it is upgraded in memory, nothing deselected.

A part of the run the user deselected (pytest `-k`, `-m`) has `verdict: null` and
`deselected: true`: it is not run, it counts in no verdict total, and the run is at
best incomplete. This is why the format is `/2`: a `/1` reader expects a verdict
everywhere.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .attest import Waiver
from .errors import RunError
from .plan import Case, PlannedRequirement, RunPlan
from .schemas import conforms, load_schema
from .verdicts import DESELECTED, RunStatus, Verdict, roll_up, run_status, summarise

__all__ = [
    "RUN_FORMAT",
    "Caveat",
    "Deselection",
    "ReferentialInfo",
    "ReviewedAttestation",
    "RunCheck",
    "RunDocument",
    "RunFormatError",
    "RunRequirement",
    "Summary",
    "TargetInfo",
    "assemble_run",
    "parse_run",
    "read_run",
    "read_run_bytes",
    "summarise_requirements",
    "validate_run",
]

RUN_FORMAT = "homolog.run/2"
#: Older formats the reader still accepts (upgraded in memory).
OLDER_FORMATS = ("homolog.run/1",)
#: run.json larger than this is refused rather than read into memory (a hostile file).
MAX_RUN_JSON_BYTES = 512 * 1024 * 1024
KINDS = ("automated", "manual", "not_tested")


class RunFormatError(RunError):
    """A run.json is missing, unreadable, or not a valid run document."""


# --------------------------------------------------------------------------- the document


@dataclass(frozen=True)
class Caveat:
    """A reservation a check attached to its result (`Evidence.caveat`): the verdict stands,
    but something limited what it could verify (a dependency package missing, ...)."""

    kind: str
    text: str
    packages: tuple[str, ...] = ()
    weakens: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "packages": list(self.packages), "weakens": self.weakens}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Caveat:
        return cls(
            kind=raw["kind"],
            text=raw["text"],
            packages=tuple(raw.get("packages") or ()),
            weakens=raw.get("weakens"),
        )


@dataclass(frozen=True)
class RunCheck:
    """One case of a requirement: a check with its parameters, and what it ended with."""

    check: str
    title: str
    params: Mapping[str, Any]
    verdict: Verdict | None  # None: deselected, not run
    message: str | None = None
    evidence: tuple[str, ...] = ()  # run-relative paths under evidence/
    duration: float | None = None
    started: str | None = None
    label: str | None = None
    deselected: bool = False
    caveats: tuple[Caveat, ...] = ()
    # parameters the target set (`overrides:`): {param, value, default, set_by}
    overrides: tuple[Mapping[str, Any], ...] = ()
    # the case whose execution gave this result (same check, same parameters, run once for
    # several requirements); None when this case ran itself
    shared_from: str | None = None

    @property
    def shown(self) -> str:
        """The verdict's value, or `deselected` for a case that was not run."""
        return self.verdict.value if self.verdict is not None else DESELECTED

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "label": self.label,
            "title": self.title,
            "params": dict(self.params),
            "overrides": [dict(o) for o in self.overrides],
            "verdict": None if self.verdict is None else self.verdict.value,
            "message": self.message,
            "evidence": list(self.evidence),
            "caveats": [c.to_json() for c in self.caveats],
            "duration": self.duration,
            "started": self.started,
            "deselected": self.deselected,
            "shared_from": self.shared_from,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> RunCheck:
        return cls(
            check=raw["check"],
            title=raw["title"],
            params=raw["params"],
            verdict=None if raw["verdict"] is None else Verdict(raw["verdict"]),
            message=raw["message"],
            evidence=tuple(raw["evidence"]),
            duration=raw.get("duration"),
            started=raw.get("started"),
            label=raw.get("label"),
            deselected=raw["deselected"],
            caveats=tuple(Caveat.from_json(c) for c in raw.get("caveats") or ()),
            overrides=tuple(raw.get("overrides") or ()),
            shared_from=raw.get("shared_from"),
        )


@dataclass(frozen=True)
class RunRequirement:
    """A requirement of the resolved referential and its rolled-up verdict."""

    id: str
    title: str
    text: Mapping[str, str | None]  # {"fr": ..., "en": ... or None}
    level: str
    source: Mapping[str, Any]
    origin: str
    kind: str  # automated | manual | not_tested
    verdict: Verdict | None  # None: deselected, not run
    family: str | None = None
    applies_to: Mapping[str, Any] = field(default_factory=dict)
    scenario: Mapping[str, str | None] | None = None
    reason: str | None = None
    attestation: Mapping[str, Any] | None = None
    waiver: Mapping[str, Any] | None = None
    checks: tuple[RunCheck, ...] = ()
    deselected: bool = False

    @property
    def shown(self) -> str:
        """The verdict's value, or `deselected` for a requirement that was not run."""
        return self.verdict.value if self.verdict is not None else DESELECTED

    @property
    def caveats(self) -> tuple[Caveat, ...]:
        """The caveats of its checks' results, each once (a requirement whose verdict they weaken)."""
        return tuple(dict.fromkeys(c for chk in self.checks for c in chk.caveats))

    def text_in(self, lang: str) -> str:
        """The normative text in `lang`, falling back to French then any language."""
        for key in (lang, "fr", "en"):
            value = self.text.get(key)
            if value:
                return value
        return next((v for v in self.text.values() if v), "")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "text": dict(self.text),
            "level": self.level,
            "family": self.family,
            "source": dict(self.source),
            "origin": self.origin,
            "kind": self.kind,
            "applies_to": dict(self.applies_to),
            "scenario": None if self.scenario is None else dict(self.scenario),
            "verdict": None if self.verdict is None else self.verdict.value,
            "reason": self.reason,
            "attestation": None if self.attestation is None else dict(self.attestation),
            "waiver": None if self.waiver is None else dict(self.waiver),
            "deselected": self.deselected,
            "checks": [c.to_json() for c in self.checks],
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> RunRequirement:
        return cls(
            id=raw["id"],
            title=raw["title"],
            text=raw["text"],
            level=raw["level"],
            source=raw["source"],
            origin=raw["origin"],
            kind=raw["kind"],
            verdict=None if raw["verdict"] is None else Verdict(raw["verdict"]),
            family=raw.get("family"),
            applies_to=raw.get("applies_to") or {},
            scenario=raw.get("scenario"),
            reason=raw["reason"],
            attestation=raw["attestation"],
            waiver=raw["waiver"],
            checks=tuple(RunCheck.from_json(c) for c in raw["checks"]),
            deselected=raw["deselected"],
        )


@dataclass(frozen=True)
class ReferentialInfo:
    """The referential a run verified (the resolved content's digest included)."""

    id: str
    version: str
    title: str
    sha256: str
    publisher: str = ""
    date: str = ""
    sources: tuple[Mapping[str, str], ...] = ()
    families: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    def family_title(self, family: str, lang: str) -> str:
        """The family's title in `lang` (French as fallback), or "" when none is declared."""
        text = self.families.get(family) or {}
        return text.get(lang) or text.get("fr") or ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "publisher": self.publisher,
            "date": self.date,
            "sha256": self.sha256,
            "sources": [dict(s) for s in self.sources],
            "families": {k: dict(v) for k, v in self.families.items()},
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ReferentialInfo:
        families = raw.get("families") or {}
        return cls(
            id=raw["id"],
            version=raw["version"],
            title=raw["title"],
            sha256=raw["sha256"],
            publisher=raw.get("publisher") or "",
            date=raw.get("date") or "",
            sources=tuple(raw.get("sources") or ()),
            families={k: v if isinstance(v, Mapping) else {"fr": v} for k, v in families.items()},
        )


@dataclass(frozen=True)
class TargetInfo:
    """The system under test as the target file described it (names of secrets, never values)."""

    name: str
    version: str
    base_urls: Mapping[str, str]
    vendor: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    auth: Mapping[str, Any] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)
    file: str | None = None
    data_policy: str = "readonly"
    overrides: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "vendor": self.vendor,
            "base_urls": dict(self.base_urls),
            "options": dict(self.options),
            "auth": dict(self.auth),
            "data": dict(self.data),
            "data_policy": self.data_policy,
            "overrides": dict(self.overrides),
            "file": self.file,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> TargetInfo:
        return cls(
            name=raw["name"],
            version=raw["version"],
            base_urls=raw["base_urls"],
            vendor=raw.get("vendor"),
            options=raw.get("options") or {},
            auth=raw.get("auth") or {},
            data=raw.get("data") or {},
            file=raw.get("file"),
            data_policy=raw.get("data_policy") or "readonly",
            overrides=raw.get("overrides") or {},
        )


@dataclass(frozen=True)
class Deselection:
    """What the user left out of this session (pytest `-k` / `-m`)."""

    requirements: tuple[str, ...] = ()  # ids of requirements not run
    checks: int = 0  # cases not run
    selection: str | None = None  # the expression that deselected them, as given

    def to_json(self) -> dict[str, Any]:
        return {"requirements": list(self.requirements), "checks": self.checks, "selection": self.selection}


@dataclass(frozen=True)
class Summary:
    """Verdict counts of the requirements and checks that ran (deselected ones apart)."""

    requirements: Mapping[str, int]
    checks: Mapping[str, int]
    total_requirements: int  # every requirement of the referential, deselected included
    total_checks: int  # every case, deselected included
    by_kind: Mapping[str, int]
    deselected: Deselection = Deselection()

    def to_json(self) -> dict[str, Any]:
        return {
            "requirements": dict(self.requirements),
            "checks": dict(self.checks),
            "total_requirements": self.total_requirements,
            "total_checks": self.total_checks,
            "by_kind": dict(self.by_kind),
            "deselected": self.deselected.to_json(),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Summary:
        d = raw["deselected"]
        return cls(
            requirements=raw["requirements"],
            checks=raw["checks"],
            total_requirements=raw["total_requirements"],
            total_checks=raw["total_checks"],
            by_kind=raw["by_kind"],
            deselected=Deselection(tuple(d["requirements"]), d["checks"], d.get("selection")),
        )


@dataclass(frozen=True)
class RunDocument:
    """A whole run.json, typed."""

    run_id: str | None
    status: RunStatus
    started: str | None
    finished: str
    referential: ReferentialInfo
    target: TargetInfo
    tool: Mapping[str, str]
    summary: Summary
    requirements: tuple[RunRequirement, ...]
    format: str = RUN_FORMAT
    # what the run created or changed on the system and what became of it (None: nothing)
    cleanup: Mapping[str, Any] | None = None

    def requirement(self, req_id: str) -> RunRequirement:
        for req in self.requirements:
            if req.id == req_id:
                return req
        raise KeyError(req_id)

    @property
    def decided(self) -> tuple[RunRequirement, ...]:
        """The requirements that have a verdict (every one but the deselected)."""
        return tuple(r for r in self.requirements if not r.deselected)

    @property
    def deselected(self) -> tuple[RunRequirement, ...]:
        """The requirements this session did not run."""
        return tuple(r for r in self.requirements if r.deselected)

    @property
    def caveats(self) -> dict[Caveat, tuple[str, ...]]:
        """Each caveat of the run, with the ids of the requirements whose results carry it."""
        out: dict[Caveat, list[str]] = {}
        for req in self.requirements:
            for caveat in req.caveats:
                out.setdefault(caveat, []).append(req.id)
        return {c: tuple(ids) for c, ids in out.items()}

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "run_id": self.run_id,
            "status": self.status.value,
            "started": self.started,
            "finished": self.finished,
            "referential": self.referential.to_json(),
            "target": self.target.to_json(),
            "tool": dict(self.tool),
            "summary": self.summary.to_json(),
            "requirements": [r.to_json() for r in self.requirements],
            "cleanup": None if self.cleanup is None else dict(self.cleanup),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> RunDocument:
        """Type a document that already passed `validate_run` (use `parse_run` otherwise)."""
        return cls(
            run_id=raw["run_id"],
            status=RunStatus(raw["status"]),
            started=raw["started"],
            finished=raw["finished"],
            referential=ReferentialInfo.from_json(raw["referential"]),
            target=TargetInfo.from_json(raw["target"]),
            tool=raw["tool"],
            summary=Summary.from_json(raw["summary"]),
            requirements=tuple(RunRequirement.from_json(r) for r in raw["requirements"]),
            format=raw["format"],
            cleanup=raw.get("cleanup"),
        )


# --------------------------------------------------------------------------- assembling


@dataclass(frozen=True)
class ReviewedAttestation:
    """An attestation as the run found it: accepted (`problem` None) or refused with the reason."""

    record: Mapping[str, Any]  # author, reviewer, date, sha256, expires, statement, file (stored copy)
    problem: str | None


def summarise_requirements(requirements: Iterable[RunRequirement], *, selection: str | None = None) -> Summary:
    """Counts of the requirements and checks that ran; the deselected ones listed apart."""
    reqs = list(requirements)
    checks = [c for r in reqs for c in r.checks]
    return Summary(
        requirements=summarise(r.verdict for r in reqs if r.verdict is not None),
        checks=summarise(c.verdict for c in checks if c.verdict is not None),
        total_requirements=len(reqs),
        total_checks=len(checks),
        by_kind={k: sum(1 for r in reqs if r.kind == k) for k in KINDS},
        deselected=Deselection(
            tuple(r.id for r in reqs if r.deselected), sum(1 for c in checks if c.deselected), selection
        ),
    )


def assemble_run(
    plan: RunPlan,
    *,
    target: Mapping[str, Any],
    results: Mapping[str, Mapping[str, Any]],
    tool: Mapping[str, str],
    now: dt.datetime,
    run_id: str | None = None,
    started: str | None = None,
    attestations: Mapping[str, ReviewedAttestation] | None = None,
    waivers: Mapping[str, Waiver] | None = None,
    deselected: Collection[str] = (),
    selection: str | None = None,
    cleanup: Mapping[str, Any] | None = None,
) -> RunDocument:
    """The run document of `plan` given what happened; reads nothing, writes nothing.

    `results` are the lines of results.jsonl by case key; `deselected` the keys of the
    cases the user left out; `attestations` by requirement id, already reviewed (their
    files checked and stored by the caller); `now` is the end of the run (waivers and
    attestations are judged on its date).
    """
    today = now.date()
    attestations = attestations or {}
    waivers = waivers or {}
    out = [_requirement(p, results, attestations, waivers, frozenset(deselected), selection, today) for p in plan]
    summary = summarise_requirements(out, selection=selection)
    status = run_status((r.verdict for r in out if r.verdict is not None), complete=not summary.deselected.requirements)
    ref = plan.referential
    return RunDocument(
        run_id=run_id,
        status=status,
        started=started,
        finished=now.isoformat(timespec="milliseconds"),
        referential=ReferentialInfo(
            id=ref.id,
            version=ref.version,
            title=ref.title,
            sha256=ref.sha256,
            publisher=ref.publisher,
            date=ref.date,
            sources=tuple(ref.sources),
            families={k: v.to_json() for k, v in ref.families.items()},
        ),
        target=TargetInfo.from_json(target),
        tool=dict(tool),
        summary=summary,
        requirements=tuple(out),
        cleanup=cleanup,
    )


def _requirement(
    planned: PlannedRequirement,
    results: Mapping[str, Mapping[str, Any]],
    attestations: Mapping[str, ReviewedAttestation],
    waivers: Mapping[str, Waiver],
    deselected: frozenset[str],
    selection: str | None,
    today: dt.date,
) -> RunRequirement:
    req = planned.requirement
    base = RunRequirement(
        id=req.id,
        title=req.title,
        text=req.text.to_json(),
        level=req.level,
        source=req.source.to_json(),
        origin=req.origin,
        kind=req.kind,
        verdict=None,
        family=req.family,
        applies_to={k: list(v) for k, v in req.applies_to.items()},
        scenario=req.scenario.to_json() if req.scenario else None,
    )
    if planned.not_applicable is not None:
        return _replace(base, verdict=Verdict.NOT_APPLICABLE, reason=planned.not_applicable)
    if planned.nothing_applies:
        why = "no check of this requirement applies to the target: " + "; ".join(planned.omitted)
        return _replace(base, verdict=Verdict.SKIPPED, reason=why)
    if planned.omitted:
        base = _replace(base, reason="; ".join(planned.omitted))
    if req.kind == "automated":
        checks = tuple(_check(case, results.get(case.key), case.key in deselected) for case in planned.cases)
        ran = [c.verdict for c in checks if c.verdict is not None]
        left_out = sum(1 for c in checks if c.deselected)
        verdict = roll_up(ran) if ran else None
        if left_out and verdict != Verdict.FAILED:
            # A failure is final whatever the rest says; anything else could still change.
            by = f" by {selection}" if selection else ""
            why = f"not run: {left_out} of {len(checks)} check(s) deselected{by} for this session"
            return _replace(base, checks=checks, deselected=True, reason=why)
        assert verdict is not None  # a case neither run nor deselected has a skipped result
        waiver = waivers.get(req.id)
        if verdict == Verdict.FAILED and waiver is not None:
            if waiver.active(today):
                return _replace(base, checks=checks, verdict=Verdict.WAIVED, waiver=waiver.to_json())
            return _replace(base, checks=checks, verdict=verdict, reason=f"waiver expired on {waiver.expires}")
        return _replace(base, checks=checks, verdict=verdict)
    if req.kind == "manual":
        assert req.attestation is not None
        expected: dict[str, Any] = {
            "evidence_expected": req.attestation.evidence.to_json(),
            "proofs_expected": [p.to_json() for p in req.attestation.proofs],
        }
        att = attestations.get(req.id)
        if att is not None and att.problem is None:
            return _replace(base, verdict=Verdict.ATTESTED, attestation=expected | dict(att.record))
        problem = att.problem if att is not None else "awaiting attestation"
        return _replace(base, verdict=Verdict.MANUAL, reason=problem, attestation=expected)
    return _replace(base, verdict=Verdict.SKIPPED, reason=f"not tested: {req.not_tested}")


def _check(case: Case, rec: Mapping[str, Any] | None, deselected: bool) -> RunCheck:
    common: dict[str, Any] = {
        "check": case.ref.check,
        "label": case.ref.label,
        "title": case.title or case.ref.check,
        "params": case.params_json,
        "overrides": tuple(o.to_json() for o in case.overrides),
    }
    if rec is not None:
        return RunCheck(
            **common,
            verdict=Verdict(rec["verdict"]),
            message=rec.get("message"),
            evidence=tuple(rec.get("evidence") or ()),
            duration=rec.get("duration"),
            started=rec.get("started"),
            caveats=tuple(Caveat.from_json(c) for c in rec.get("caveats") or ()),
            shared_from=rec.get("shared_from"),
        )
    if deselected:
        return RunCheck(**common, verdict=None, message="deselected for this session", deselected=True)
    # Neither a result nor deselected: the session ended before this case ran.
    return RunCheck(**common, verdict=Verdict.SKIPPED, message="not run: the session ended before this case ran")


def _replace(req: RunRequirement, **changes: Any) -> RunRequirement:
    from dataclasses import replace

    return replace(req, **changes)


# --------------------------------------------------------------------------- reading


def validate_run(doc: Any) -> list[str]:
    """Messages for every way `doc` departs from the run schema (empty when valid)."""
    if conforms(doc, "run"):
        return []
    import jsonschema  # only to word what the compiled validator refused (`schemas.conforms`)

    validator = jsonschema.Draft202012Validator(load_schema("run"))
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{_json_path(e.absolute_path)}: {_short(e.message)}" for e in errors]


def parse_run(data: Any, *, where: str = "run.json") -> RunDocument:
    """Check `data` against the schema (upgrading an older format) and type it."""
    if not isinstance(data, dict):
        raise RunFormatError(f"{where}: expected a JSON object at the top level")
    fmt = data.get("format")
    if fmt in OLDER_FORMATS:
        data = _upgrade_v1(data)
    elif fmt != RUN_FORMAT:
        raise RunFormatError(
            f"{where}: format is {fmt!r}, expected {RUN_FORMAT!r} (or the older "
            f"{', '.join(map(repr, OLDER_FORMATS))}): is this a homolog run?"
        )
    problems = validate_run(data)
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise RunFormatError(f"{where} is not a valid {RUN_FORMAT} document: " + "; ".join(problems[:5]) + more)
    return RunDocument.from_json(data)


def read_run_bytes(run_dir: Path | str) -> tuple[RunDocument, bytes]:
    """The run document of `run_dir` and the exact bytes of its run.json."""
    path = Path(run_dir) / "run.json"
    try:
        size = path.stat().st_size
        if size > MAX_RUN_JSON_BYTES:
            raise RunFormatError(f"{path}: {size} bytes is larger than the {MAX_RUN_JSON_BYTES} limit")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RunFormatError(
            f"{path}: cannot read run.json (not found): is {run_dir} a run directory of a finished run?"
        ) from None
    except OSError as exc:
        raise RunFormatError(f"{path}: cannot read run.json ({exc.strerror})") from None
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunFormatError(f"{path}: not valid JSON ({exc})") from None
    return parse_run(data, where=str(path)), raw


def read_run(run_dir: Path | str) -> RunDocument:
    """The run document of a finished run directory, checked against the schema."""
    return read_run_bytes(run_dir)[0]


def _upgrade_v1(data: dict[str, Any]) -> dict[str, Any]:
    """A homolog.run/1 document in the /2 shape: nothing was deselected (it was recorded as skipped)."""
    doc = dict(data, format=RUN_FORMAT)
    reqs = doc.get("requirements")
    if isinstance(reqs, list):
        doc["requirements"] = [
            dict(r, deselected=False, checks=[dict(c, deselected=False) for c in r.get("checks") or []])
            if isinstance(r, dict)
            else r
            for r in reqs
        ]
    summary = doc.get("summary")
    if isinstance(summary, dict):
        doc["summary"] = {"deselected": Deselection().to_json(), "by_kind": {}} | summary
    return doc


def _json_path(parts: Iterable[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "<root>"


def _short(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else message[:limit] + "..."
