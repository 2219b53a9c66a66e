"""Build synthetic run directories (the engine's run format, ``homolog.runfile``) for report tests.

The engine does not need to run for report tests: this writes what it would write
(run.json, results.jsonl, evidence/, inputs/) with synthetic data only. Used by the
tests in this folder and by ``bench/report_scale.py``.
"""

from __future__ import annotations

import json
import struct
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from homolog.runfile import (
    ReferentialInfo,
    RunCheck,
    RunDocument,
    RunRequirement,
    TargetInfo,
    summarise_requirements,
)
from homolog.verdicts import DESELECTED, RunStatus, Verdict, run_status

__all__ = [
    "XSS_PAYLOADS",
    "SynthCheck",
    "SynthReq",
    "build_run",
    "demo_requirements",
    "png",
    "run_document",
    "write_run",
]

# Payloads a hostile SUT could put in responses; each one, if it ever ran, would set
# window.__pwned or change document.title — the browser test asserts neither happens.
XSS_PAYLOADS: tuple[str, ...] = (
    "<script>window.__pwned = 1; document.title = 'pwned';</script>",
    "<img src=x onerror=\"window.__pwned = 2; document.title = 'pwned'\">",
    "javascript:window.__pwned=3;document.title='pwned'",
    '"><svg onload="window.__pwned=4">',
    "</pre></details><script>window.__pwned=5</script>",
    '<a href="javascript:window.__pwned=6">cliquer</a>',
    '<iframe srcdoc="<script>parent.__pwned=7</script>"></iframe>',
    '<style>body{display:none}</style><base href="javascript:window.__pwned=8//">',
)


def png(width: int = 240, height: int = 90, seed: int = 0) -> bytes:
    """A small valid PNG (coloured bands) standing for a screenshot."""
    rows = []
    for y in range(height):
        band = (y * 4 // height + seed) % 4
        colour = [(220, 60, 50), (40, 140, 80), (30, 90, 200), (240, 200, 40)][band]
        rows.append(b"\x00" + bytes(colour) * width)
    raw = b"".join(rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def http_exchange(
    method: str = "GET",
    url: str = "https://127.0.0.1:8443/fhir/Patient/pat-1",
    status: int = 200,
    body: str | None = '{"resourceType": "Patient", "id": "pat-1"}',
    request_body: str | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    """An HTTP exchange evidence object as the engine records it."""
    return {
        "request": {
            "method": method,
            "url": url,
            "headers": {"Accept": "application/fhir+json", "Authorization": "[redacted]"},
            "body": request_body,
            "body_truncated": False,
        },
        "response": None
        if error
        else {
            "status": status,
            "headers": {"Content-Type": "application/fhir+json"},
            "body": body,
            "body_truncated": False,
        },
        "elapsed": 0.012,
        "error": error,
    }


@dataclass
class SynthCheck:
    """A check result to write; evidence entries are (name, content) pairs.

    The verdict ``"deselected"`` writes a case the session did not run.
    """

    check: str
    verdict: str
    message: str = ""
    title: str = "Le système fait ce qu'il doit."
    params: dict[str, Any] = field(default_factory=dict)
    evidence: list[tuple[str, bytes | dict[str, Any] | str]] = field(default_factory=list)
    duration: float = 0.05
    label: str | None = None


@dataclass
class SynthReq:
    """A requirement to write with its rolled-up verdict (``"deselected"``: not run)."""

    id: str
    verdict: str
    checks: list[SynthCheck] = field(default_factory=list)
    title: str = "Exigence synthétique"
    family: str | None = "securite"
    origin: str = "ssi@1.0.0"
    level: str = "exigence"
    text_fr: str = "Le système DOIT faire ce qui est attendu."
    text_en: str | None = "The system MUST do what is expected."
    reason: str | None = None
    attestation: dict[str, Any] | None = None
    waiver: dict[str, Any] | None = None
    kind: str | None = None  # automated / manual / not_tested; guessed from the rest when None
    scenario: dict[str, str | None] | None = None
    applies_to: dict[str, list[str]] = field(default_factory=dict)
    source: dict[str, Any] = field(
        default_factory=lambda: {
            "document": "Référentiel synthétique",
            "section": "3.2",
            "version": "1.0",
            "url": "https://example.org/referentiel",
        }
    )

    def guessed_kind(self) -> str:
        if self.kind:
            return self.kind
        if self.checks:
            return "automated"
        if self.attestation is not None or self.verdict in ("manual", "attested"):
            return "manual"
        return "not_tested"


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


def _verdict(value: str) -> Verdict | None:
    return None if value == DESELECTED else Verdict(value)


def run_document(
    requirements: Sequence[RunRequirement],
    *,
    status: str | None = None,
    referential_id: str = "segur-dpi",
    referential_version: str = "1.0.0",
    referential_sha256: str = "0" * 64,
    target_name: str = "homolog reference DPI",
    options: dict[str, Any] | None = None,
    run_id: str | None = None,
    selection: str | None = None,
) -> RunDocument:
    """A run document around typed requirements, with the summary the engine would compute."""
    summary = summarise_requirements(requirements, selection=selection)
    decided = [r.verdict for r in requirements if r.verdict is not None]
    return RunDocument(
        run_id=run_id or str(uuid.UUID(int=len(requirements) + 1)),
        status=RunStatus(status) if status else run_status(decided, complete=not summary.deselected.requirements),
        started="2026-11-22T10:00:00+00:00",
        finished="2026-11-22T10:05:00+00:00",
        referential=ReferentialInfo(
            id=referential_id,
            version=referential_version,
            title="Ségur DPI (synthétique)",
            sha256=referential_sha256,
            publisher="homolog",
            date="2026-11-22",
        ),
        target=TargetInfo(
            name=target_name,
            version="1.0.0",
            vendor="homolog",
            base_urls={"fhir": "https://127.0.0.1:8443/fhir", "web": "https://127.0.0.1:8443"},
            options=options if options is not None else {"profile": "DPI", "modules": ["dmp", "mss"]},
        ),
        tool={"homolog": "0.1.0", "python": "3.11.7", "pytest": "9.1.1", "platform": "linux"},
        summary=summary,
        requirements=tuple(requirements),
    )


def write_run(run_dir: Path, doc: RunDocument) -> Path:
    """Write ``doc`` as ``run_dir/run.json`` (ASCII: odd code points stay escaped)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "run.json").write_text(json.dumps(doc.to_json(), indent=1), encoding="utf-8")
    return run_dir


def build_run(
    run_dir: Path,
    requirements: Sequence[SynthReq],
    *,
    status: str | None = None,
    referential_id: str = "segur-dpi",
    target_name: str = "homolog reference DPI",
    options: dict[str, Any] | None = None,
) -> Path:
    """Write a complete run directory for ``requirements``; return ``run_dir``.

    run.json is built from the run format's own types, so it is what the engine
    writes: it passes the published schema (`homolog.runfile.validate_run`).
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "inputs").mkdir(exist_ok=True)
    (run_dir / "inputs" / "referential.json").write_text(
        json.dumps({"id": referential_id, "version": "1.0.0"}), encoding="utf-8"
    )
    (run_dir / "inputs" / "target.yaml").write_text(
        "format: homolog.target/1\nsystem: {name: synthetic}\n", encoding="utf-8"
    )
    typed: list[RunRequirement] = []
    results = []
    for r_index, req in enumerate(requirements):
        checks: list[RunCheck] = []
        for c_index, chk in enumerate(req.checks):
            case = f"{r_index:05d}-{c_index}-{_slug(chk.check)}"[:80]
            paths = []
            for e_index, (name, content) in enumerate(chk.evidence, start=1):
                rel = f"evidence/{case}/{e_index:02d}-{name}"
                path = run_dir / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(content, bytes):
                    path.write_bytes(content)
                elif isinstance(content, dict):
                    path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
                else:
                    path.write_text(content, encoding="utf-8")
                paths.append(rel)
            verdict = _verdict(chk.verdict)
            entry = RunCheck(
                check=chk.check,
                title=chk.title,
                params=chk.params,
                verdict=verdict,
                message=chk.message,
                evidence=tuple(paths),
                duration=chk.duration if verdict is not None else None,
                started="2026-11-22T10:00:00+00:00" if verdict is not None else None,
                label=chk.label,
                deselected=verdict is None,
            )
            checks.append(entry)
            if verdict is not None:
                results.append({**entry.to_json(), "requirement": req.id})
        attestation = req.attestation
        if attestation and "content" in attestation:
            att_path = run_dir / attestation["file"]
            att_path.parent.mkdir(parents=True, exist_ok=True)
            att_path.write_bytes(attestation["content"])
            attestation = {k: v for k, v in attestation.items() if k != "content"}
        if attestation and isinstance(attestation.get("evidence_expected"), str):
            attestation = attestation | {"evidence_expected": {"fr": attestation["evidence_expected"], "en": None}}
        verdict = _verdict(req.verdict)
        typed.append(
            RunRequirement(
                id=req.id,
                title=req.title,
                text={"fr": req.text_fr, "en": req.text_en},
                level=req.level,
                source=req.source,
                origin=req.origin,
                kind=req.guessed_kind(),
                verdict=verdict,
                family=req.family,
                applies_to=req.applies_to,
                scenario=req.scenario,
                reason=req.reason,
                attestation=attestation,
                waiver=req.waiver,
                checks=tuple(checks),
                deselected=verdict is None,
            )
        )
    doc = run_document(typed, status=status, referential_id=referential_id, target_name=target_name, options=options)
    write_run(run_dir, doc)
    with (run_dir / "results.jsonl").open("w", encoding="utf-8") as fh:
        for row in results:
            fh.write(json.dumps(row) + "\n")
    return run_dir


def demo_requirements() -> list[SynthReq]:
    """A small run with every verdict, every evidence kind, a waiver and an attestation."""
    svrl = (
        '<?xml version="1.0"?>\n<svrl:schematron-output xmlns:svrl="http://purl.oclc.org/dsdl/svrl">'
        '\n  <svrl:failed-assert test="cda:effectiveTime" location="/ClinicalDocument">\n'
        "    <svrl:text>effectiveTime manquant dans serviceEvent</svrl:text>\n"
        "  </svrl:failed-assert>\n</svrl:schematron-output>\n"
    )
    return [
        SynthReq(
            "SSI/IAM.92",
            "failed",
            title="Verrouillage du compte après des échecs de connexion",
            checks=[
                SynthCheck(
                    "security.auth.lockout",
                    "failed",
                    "le compte n'est pas verrouillé après 10 échecs",
                    title="Le système verrouille un compte après au plus N échecs de connexion.",
                    params={"max_failures": 10},
                    evidence=[
                        (
                            "http-POST-login.json",
                            http_exchange(
                                "POST",
                                "https://127.0.0.1:8443/login",
                                200,
                                "<html><p role=alert>Identifiants invalides</p></html>",
                                "username=bob&password=[redacted]",
                            ),
                        ),
                        ("screenshot.png", png(seed=1)),
                    ],
                )
            ],
        ),
        SynthReq(
            "MSS/CONF.01",
            "passed",
            title="TLS 1.2 minimum",
            family="transport",
            origin="mss@1.0.0",
            checks=[
                SynthCheck(
                    "security.tls.minimum_version",
                    "passed",
                    title="Le serveur refuse les versions de TLS antérieures à 1.2.",
                    evidence=[("tls-probe.json", {"TLSv1": False, "TLSv1.2": True})],
                )
            ],
        ),
        SynthReq(
            "DMP/HISTO.03",
            "error",
            title="Date clinique des documents historiques",
            family="documents",
            origin="dmp@1.0.0",
            checks=[
                SynthCheck(
                    "documents.cda.schematron",
                    "error",
                    "le validateur n'a pas pu compiler le schématron",
                    evidence=[("svrl.xml", svrl)],
                ),
                SynthCheck(
                    "documents.fhir.read",
                    "error",
                    "connexion refusée",
                    evidence=[
                        (
                            "http-GET-DocumentReference.json",
                            http_exchange(
                                url="https://127.0.0.1:8443/fhir/DocumentReference",
                                error="ConnectError: connection refused",
                            ),
                        )
                    ],
                ),
            ],
        ),
        SynthReq(
            "SSI/IE.39",
            "waived",
            title="Déconnexion après inactivité",
            checks=[SynthCheck("security.session.timeout", "failed", "session encore active")],
            waiver={
                "justification": "Correctif livré en version 1.1",
                "approver": "RSSI (Mme Exemple)",
                "expires": "2027-03-31",
            },
        ),
        SynthReq(
            "INS/va1.05",
            "attested",
            title="Procédure d'identitovigilance",
            family="identite",
            origin="ins-rniv@1.0.0",
            attestation={
                "evidence_expected": "Procédure signée du référent identitovigilance",
                "file": "evidence/attestations/procedure.pdf",
                "content": b"%PDF-1.4 synthetic attestation\n",
                "sha256": "f" * 64,
                "author": "Éditeur",
                "reviewer": "Auditeur",
                "date": "2026-11-01",
                "expires": "2027-11-01",
            },
        ),
        SynthReq(
            "PSC.08",
            "not_applicable",
            family="authentification",
            origin="psc@1.0.0",
            reason="module psc non déclaré par la cible",
        ),
        SynthReq("SSI/IAM.80", "manual", reason="attestation attendue"),
        SynthReq(
            "SSI/IE.48",
            "skipped",
            family="identite",
            checks=[SynthCheck("identity.ui.banner", "skipped", "aucun patient qualifié déclaré")],
        ),
    ]
