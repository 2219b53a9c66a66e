"""OSCAL assessment results of a run (`homolog report --format oscal`): ``oscal-assessment-results.json``.

How homolog's model maps onto an OSCAL assessment-results document (OSCAL 1.2.1, JSON):

- **import-ap** points into the back matter at the *referential*: homolog has no separate
  assessment plan, the referential (id, version, SHA-256 of its resolved content, its
  source documents as links) is what the assessment followed;
- one **result** for the run (start, end, the run's status and counts as props), whose
  local definitions hold the system under test (a component) and homolog itself (the
  assessment platform, the actor of every observation);
- **reviewed-controls**: every requirement, by a control id made a token
  (``SSI/IAM.92`` → ``SSI_IAM.92``, the original id in a prop); the not applicable and
  the deselected ones are excluded, with their reasons in the selection's remarks;
- one **observation** per check result (method TEST) and per accepted attestation
  (method EXAMINE), with the verdict, message and parameters, and its evidence as
  *relevant-evidence* linking to a back-matter resource that carries the file's path
  (relative to this report), media type, size and SHA-256;
- one **finding** per assessed requirement: passed / attested → ``satisfied`` (reason
  pass); failed and waived → ``not-satisfied`` (fail); error, skipped and manual →
  ``not-satisfied`` (other: not decided, never counted as compliance), the homolog
  verdict always in a prop;
- a waived failure is also a **risk** with status ``deviation-approved`` (justification,
  approver, expiry).

UUIDs are version-5 UUIDs derived from the run id and the element: rendering the same
run twice gives the same document. Everything is built as plain JSON (no OSCAL library
at run time); the tests validate the output with compliance-trestle's models.
"""

from __future__ import annotations

import json
import mimetypes
import os
import re
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from homolog.reports.evidence import sha256_of
from homolog.reports.model import Check, ReportError, Requirement, Run, localized, safe_evidence_path
from homolog.verdicts import Verdict

__all__ = ["OSCAL_VERSION", "OscalReporter", "assessment_results", "control_id"]

OSCAL_VERSION = "1.2.1"
#: Namespace of homolog's own props.
NS = "urn:homolog:oscal"
_UUID_ROOT = uuid.UUID("0b6a4c51-6f1e-5d38-9c2a-7c3e1d5f4a90")
# OSCAL tokens: letters (any script), digits, '_', '.', '-'; a letter or '_' first.
_TOKEN_BAD = re.compile(r"[^\w.\-]")
_SATISFIED = {Verdict.PASSED, Verdict.ATTESTED}
_FAILED = {Verdict.FAILED, Verdict.WAIVED}
_EXCLUDED = {Verdict.NOT_APPLICABLE}


def control_id(requirement_id: str) -> str:
    """An OSCAL token for a requirement id: other characters become ``_``; a leading digit gets a ``_`` before."""
    token = _TOKEN_BAD.sub("_", requirement_id)
    return token if token[:1].isalpha() or token[:1] == "_" else "_" + token


def _one_line(text: str) -> str:
    line = " ".join(str(text).split())
    return line or "-"


def _prop(name: str, value: Any) -> dict[str, str]:
    return {"name": name, "ns": NS, "value": _one_line(value)}


class _Document:
    """Builds the document; keeps the back matter and the deterministic UUIDs in one place."""

    def __init__(self, run: Run, out_dir: Path, lang: str) -> None:
        self.run = run
        self.lang = lang
        self.seed = uuid.uuid5(_UUID_ROOT, run.run_id or run.doc.finished)
        self.resources: list[dict[str, Any]] = []
        self.hashed: dict[str, str] = {}  # evidence relpath -> resource uuid
        self.controls: dict[str, str] = {}  # requirement id -> control id (unique)
        try:
            rel = os.path.relpath(run.dir.resolve(), out_dir.resolve())
            self.link_base = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        except ValueError:  # another drive (Windows): an absolute file URI
            self.link_base = run.dir.resolve().as_uri() + "/"

    def uuid(self, *parts: str) -> str:
        return str(uuid.uuid5(self.seed, "/".join(parts)))

    def control(self, req: Requirement) -> str:
        if req.id not in self.controls:
            token, n = control_id(req.id), 1
            taken = set(self.controls.values())
            while (candidate := token if n == 1 else f"{token}_{n}") in taken:
                n += 1
            self.controls[req.id] = candidate
        return self.controls[req.id]

    # -- back matter -------------------------------------------------------------

    def evidence_resource(self, relpath: str) -> dict[str, str]:
        """A relevant-evidence entry for an evidence file, its resource added to the back matter once."""
        path = safe_evidence_path(self.run, relpath)
        if path is None:
            return {"description": f"{relpath}: refused, the path leaves the run directory"}
        if relpath not in self.hashed:
            try:
                digest, size = sha256_of(path)
            except OSError:
                return {"description": f"{relpath}: missing from the run directory"}
            res_uuid = self.uuid("evidence", relpath)
            media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            self.resources.append(
                {
                    "uuid": res_uuid,
                    "title": relpath,
                    "props": [_prop("size", size), _prop("kind", "evidence")],
                    "rlinks": [
                        {
                            "href": self.link_base + quote(relpath, safe="/@"),
                            "media-type": media,
                            "hashes": [{"algorithm": "SHA-256", "value": digest}],
                        }
                    ],
                }
            )
            self.hashed[relpath] = res_uuid
        return {"href": f"#{self.hashed[relpath]}", "description": relpath}

    def referential_resource(self) -> str:
        ref = self.run.referential
        res_uuid = self.uuid("referential")
        links = [
            {"href": s["url"], **({"media-type": "text/html"} if s["url"].endswith(".html") else {})}
            for s in ref.sources
            if isinstance(s.get("url"), str) and s["url"].startswith(("https://", "http://"))
        ]
        resource: dict[str, Any] = {
            "uuid": res_uuid,
            "title": _one_line(f"{ref.title} ({ref.id} {ref.version})"),
            "description": "The homolog referential this assessment followed: its requirements are the controls.",
            "props": [
                _prop("referential-id", ref.id),
                _prop("referential-version", ref.version),
                _prop("referential-sha256", ref.sha256),
                *([_prop("publisher", ref.publisher)] if ref.publisher else []),
                *([_prop("date", ref.date)] if ref.date else []),
            ],
            "document-ids": [{"scheme": "urn:homolog:referential", "identifier": f"{ref.id}@{ref.version}"}],
        }
        if links:
            resource["rlinks"] = links
        self.resources.append(resource)
        return res_uuid

    # -- body ----------------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        run, doc = self.run, self.run.doc
        ref, target = run.referential, run.target
        start = doc.started or doc.finished
        sut, tool = self.uuid("component", "sut"), self.uuid("component", "homolog")
        observations: list[dict[str, Any]] = []
        findings: list[dict[str, Any]] = []
        risks: list[dict[str, Any]] = []
        included, excluded, excluded_notes = [], [], []
        for req in run.requirements:
            cid = self.control(req)
            if req.verdict is None or req.verdict in _EXCLUDED:
                excluded.append({"control-id": cid})
                why = "deselected" if req.verdict is None else "not applicable"
                excluded_notes.append(f"{req.id}: {why}" + (f" ({req.reason})" if req.reason else ""))
                continue
            included.append({"control-id": cid})
            related = [self.observation(req, chk, i, sut, tool) for i, chk in enumerate(req.checks)]
            observations += [o for o in related if o is not None]
            attestation = self.attestation(req, sut, tool)
            if attestation is not None:
                observations.append(attestation)
            risk = self.risk(req) if req.verdict == Verdict.WAIVED else None
            if risk is not None:
                risks.append(risk)
            findings.append(self.finding(req, [o for o in [*related, attestation] if o is not None], risk))
        selection: dict[str, Any] = {"include-controls": included} if included else {"include-all": {}}
        if excluded:
            selection["exclude-controls"] = excluded
            selection["remarks"] = "\n".join(excluded_notes)
        counts = {v: n for v, n in doc.summary.requirements.items() if n}
        result: dict[str, Any] = {
            "uuid": self.uuid("result"),
            "title": _one_line(f"homolog run of {ref.id} {ref.version} against {target.name} {target.version}"),
            "description": f"Automated checks and reviewed attestations of {ref.title}, run by homolog.",
            "start": start,
            "end": doc.finished,
            "props": [
                _prop("run-id", run.run_id or "-"),
                _prop("status", doc.status.value),
                *(_prop(f"requirements-{v.replace('_', '-')}", n) for v, n in counts.items()),
            ],
            "local-definitions": {
                "components": [
                    {
                        "uuid": sut,
                        "type": "software",
                        "title": _one_line(f"{target.name} {target.version}"),
                        "description": "The system under test, as its target file describes it.",
                        "props": [_prop("version", target.version)]
                        + ([_prop("vendor", target.vendor)] if target.vendor else []),
                        "status": {"state": "operational"},
                    }
                ],
                "assessment-assets": {
                    "components": [
                        {
                            "uuid": tool,
                            "type": "software",
                            "title": f"homolog {run.tool.get('homolog', '')}".strip(),
                            "description": "The certification test harness that ran the checks.",
                            "props": [_prop(k, v) for k, v in sorted(run.tool.items()) if k != "executable" and v],
                            "status": {"state": "operational"},
                        }
                    ],
                    "assessment-platforms": [
                        {
                            "uuid": self.uuid("platform"),
                            "title": "homolog",
                            "uses-components": [{"component-uuid": tool}],
                        }
                    ],
                },
            },
            "reviewed-controls": {"control-selections": [selection]},
        }
        if observations:
            result["observations"] = observations
        if risks:
            result["risks"] = risks
        if findings:
            result["findings"] = findings
        plan = self.referential_resource()
        metadata: dict[str, Any] = {
            "title": _one_line(f"homolog — {ref.title} ({ref.id} {ref.version}) — {target.name} {target.version}"),
            "last-modified": doc.finished,
            "version": run.run_id or "1",
            "oscal-version": OSCAL_VERSION,
            "props": [_prop("status", doc.status.value)],
        }
        if target.vendor:
            metadata["parties"] = [
                {"uuid": self.uuid("party", "vendor"), "type": "organization", "name": target.vendor}
            ]
        return {
            "assessment-results": {
                "uuid": self.uuid("assessment-results"),
                "metadata": metadata,
                "import-ap": {
                    "href": f"#{plan}",
                    "remarks": "The assessment plan is the referential (see the back-matter resource).",
                },
                "results": [result],
                "back-matter": {"resources": self.resources},
            }
        }

    def origins(self, tool: str) -> list[dict[str, Any]]:
        return [{"actors": [{"type": "tool", "actor-uuid": tool}]}]

    def observation(self, req: Requirement, chk: Check, index: int, sut: str, tool: str) -> dict[str, Any] | None:
        if chk.verdict is None:  # deselected: nothing was observed
            return None
        label = f" [{chk.label}]" if chk.label else ""
        text = f"{chk.check}{label}: {chk.verdict.value}." + (f"\n\n{chk.message}" if chk.message else "")
        obs: dict[str, Any] = {
            "uuid": self.uuid("observation", req.id, str(index)),
            "title": _one_line(chk.title or chk.check),
            "description": text,
            "props": [
                _prop("check", chk.check),
                _prop("verdict", chk.verdict.value),
                *(
                    [_prop("parameters", json.dumps(dict(chk.params), ensure_ascii=False, sort_keys=True))]
                    if chk.params
                    else []
                ),
                *([_prop("duration-seconds", chk.duration)] if chk.duration is not None else []),
            ],
            "methods": ["TEST"],
            "origins": self.origins(tool),
            "subjects": [{"subject-uuid": sut, "type": "component"}],
            "collected": chk.started or self.run.doc.finished,
        }
        if chk.evidence:
            obs["relevant-evidence"] = [self.evidence_resource(rel) for rel in chk.evidence]
        return obs

    def attestation(self, req: Requirement, sut: str, tool: str) -> dict[str, Any] | None:
        att = req.attestation
        if req.verdict != Verdict.ATTESTED or att is None:
            return None
        who = ", ".join(f"{k}: {att[k]}" for k in ("author", "reviewer", "date", "expires") if att.get(k))
        obs: dict[str, Any] = {
            "uuid": self.uuid("attestation", req.id),
            "title": _one_line(f"Attestation of {req.id}"),
            "description": (localized(att.get("statement"), self.lang) or "Attestation reviewed.") + f"\n\n{who}",
            "props": [
                _prop("verdict", "attested"),
                *([_prop("declared-sha256", att["sha256"])] if att.get("sha256") else []),
            ],
            "methods": ["EXAMINE"],
            "origins": self.origins(tool),
            "subjects": [{"subject-uuid": sut, "type": "component"}],
            "collected": self.run.doc.finished,
        }
        if isinstance(att.get("file"), str) and att["file"]:
            obs["relevant-evidence"] = [self.evidence_resource(att["file"])]
        return obs

    def risk(self, req: Requirement) -> dict[str, Any] | None:
        waiver = req.waiver or {}
        approver, expires = str(waiver.get("approver") or "-"), str(waiver.get("expires") or "-")
        return {
            "uuid": self.uuid("risk", req.id),
            "title": _one_line(f"Accepted failure of {req.id}"),
            "description": str(waiver.get("justification") or "Waived failure."),
            "statement": f"{req.id} ({req.title}) failed; the failure is waived by {approver} until {expires}.",
            "props": [_prop("approver", approver), _prop("expires", expires)],
            "status": "deviation-approved",
        }

    def finding(
        self, req: Requirement, observations: Iterable[dict[str, Any]], risk: dict[str, Any] | None
    ) -> dict[str, Any]:
        verdict = req.verdict
        assert verdict is not None
        if verdict in _SATISFIED:
            state, reason = "satisfied", "pass"
        elif verdict in _FAILED:
            state, reason = "not-satisfied", "fail"
        else:  # error, skipped, manual: not decided, never counted as satisfied
            state, reason = "not-satisfied", "other"
        status: dict[str, Any] = {"state": state, "reason": reason}
        if req.reason:
            status["remarks"] = req.reason
        finding: dict[str, Any] = {
            "uuid": self.uuid("finding", req.id),
            "title": _one_line(f"{req.id} {req.title}"),
            "description": req.text_in(self.lang) or req.title,
            "props": [
                _prop("requirement-id", req.id),
                _prop("verdict", verdict.value),
                _prop("level", req.level),
                *([_prop("family", req.family)] if req.family else []),
                _prop("origin", req.origin),
            ],
            "target": {
                "type": "objective-id",
                "target-id": self.control(req),
                "title": _one_line(req.id),
                "status": status,
            },
        }
        related = [{"observation-uuid": o["uuid"]} for o in observations]
        if related:
            finding["related-observations"] = related
        if risk is not None:
            finding["related-risks"] = [{"risk-uuid": risk["uuid"]}]
        source = req.source
        url = source.get("url")
        if isinstance(url, str) and url.startswith(("https://", "http://")):
            finding["links"] = [{"href": url, "rel": "reference", "text": _one_line(source.get("document") or url)}]
        return finding


def assessment_results(run: Run, out_dir: Path, lang: str = "fr") -> dict[str, Any]:
    """The OSCAL document of `run`, with evidence links relative to `out_dir`."""
    return _Document(run, out_dir, lang).build()


class OscalReporter:
    """OSCAL assessment results (``oscal-assessment-results.json``)."""

    name = "oscal"
    filename = "oscal-assessment-results.json"

    def render(self, run: Run, out_dir: Path, lang: str) -> Path:
        """Write the OSCAL assessment-results document into ``out_dir``."""
        path = out_dir / self.filename
        try:
            document = assessment_results(run, out_dir, lang)
        except (KeyError, TypeError) as exc:  # pragma: no cover - the run format was schema-checked
            raise ReportError(f"{run.dir}: cannot map the run to OSCAL ({exc})") from None
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8", errors="replace")
        os.replace(tmp, path)
        return path
