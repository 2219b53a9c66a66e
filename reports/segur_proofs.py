"""Proof file for a Ségur submission: the DSR's requirement / scenario / proofs structure.

A DSR "Exigences" sheet gives, per requirement, its number, its compliance scenario
and up to ten proofs. This module fills that structure from a finished run so a vendor
can attach it to its referencing file:

    Exigences   one row per requirement: section, nature (DOIT / PEUT), number,
                statement, scenario number and text, verdict, proofs 1..10
    Preuves     one row per proof: proof number (<requirement>.NN.NN), kind, run-relative
                path or report anchor, SHA-256 of the file, status of the file
    Synthèse    system, referential and its hash, run dates, verdict counts, coverage
                (automated / manual / not tested)
    Non applicables
                requirements the target's declared options excluded, with the declaration

Written as one XLSX workbook (the four sheets) and two CSV files (Exigences and
Preuves; UTF-8 with BOM and `;` separators, what spreadsheet software in French
locales opens directly).

Every proof points at the run: the requirement's anchor in the HTML report
(`reports/report.html#req-<id>`) and each evidence file with its SHA-256, computed here from
the file and compared with `MANIFEST.sha256` when the run has one. A file that is
missing, escapes the run directory or does not match the manifest is said so in the
proof's status; it is never silently dropped. Text coming from the system under test
(check messages) is written as text, never as a spreadsheet formula.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from homolog.reports.model import Requirement, Run, load_run, safe_evidence_path
from homolog.verdicts import DESELECTED, Verdict

__all__ = [
    "DSR_PROOF_COLUMNS",
    "Proof",
    "SegurProofsReporter",
    "export_segur_proofs",
    "proofs_for",
    "scenario_number",
    "section_of",
]

#: A DSR "Exigences" sheet has ten proof columns; further proofs go to the Preuves sheet.
DSR_PROOF_COLUMNS = 10
XLSX_NAME = "segur-proofs.xlsx"
REQUIREMENTS_CSV = "segur-proofs-exigences.csv"
PROOFS_CSV = "segur-proofs-preuves.csv"
MANIFEST = "MANIFEST.sha256"
# A manifest line is "<64 hex>  <path>" (sha256sum format); larger manifests are refused.
_MANIFEST_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")
_MAX_MANIFEST_BYTES = 64 * 1024 * 1024
# Characters a spreadsheet takes as the start of a formula (CSV/formula injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Control characters an XLSX cell cannot hold (XML 1.0).
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

_NATURE = {"exigence": "Exigence (DOIT)", "preconisation": "Préconisation (PEUT)"}
# The wording of a DSR for each verdict of the engine (and for what was not run).
_VERDICT_FR = {
    Verdict.PASSED.value: "conforme",
    Verdict.FAILED.value: "non conforme",
    Verdict.ERROR.value: "erreur (non décidé)",
    Verdict.SKIPPED.value: "non exécuté",
    Verdict.NOT_APPLICABLE.value: "non applicable",
    Verdict.MANUAL.value: "preuve manuelle attendue",
    Verdict.ATTESTED.value: "attesté",
    Verdict.WAIVED.value: "dérogation",
    DESELECTED: "non lancé dans cette session (désélectionné)",
}

REQUIREMENT_HEADER = (
    "Conditionnelle",
    "Profil",
    "ID section",
    "Section",
    "Famille",
    "Nature",
    "N° exigence",
    "Titre",
    "Énoncé",
    "N° scénario",
    "Scénario de conformité",
    "Mode de preuve",
    "Tests automatisés",
    "Verdict",
    "Motif",
    "Dérogation",
    *(f"Preuve {i}" for i in range(1, DSR_PROOF_COLUMNS + 1)),
)
PROOF_HEADER = (
    "N° preuve",
    "N° exigence",
    "N° scénario",
    "Type",
    "Description",
    "Référence",
    "SHA-256",
    "État",
)


@dataclass(frozen=True)
class Proof:
    """One proof of a requirement: where to find it and how to check it is intact."""

    number: str  # <requirement>.<scenario NN>.<proof NN>, as the DSR numbers them
    requirement: str
    scenario: str
    kind: str  # rapport, fichier, attestation, preuve demandée
    description: str
    ref: str  # report anchor or run-relative path ("" for a proof still to supply)
    sha256: str  # "" when not a file
    status: str  # ok, absent, hors du run, empreinte différente du manifeste, à fournir

    def cell(self) -> str:
        """The text of this proof in a DSR "Preuve n" column."""
        out = f"{self.number} {self.kind} : {self.ref or self.description}"
        if self.sha256:
            out += f" (SHA-256 {self.sha256})"
        if self.status not in ("ok", ""):
            out += f" [{self.status}]"
        return out


def export_segur_proofs(run_dir: Path, out_dir: Path, *, report_href: str = "reports/report.html") -> list[Path]:
    """Write the Ségur proof file of the run in `run_dir` into `out_dir`.

    Returns the paths written: the XLSX workbook, then the requirements CSV and the
    proofs CSV. `report_href` is the HTML report's path relative to the run directory,
    used for the requirement anchors. Raises `homolog.reports.model.ReportError` when
    the run cannot be read.
    """
    run = load_run(run_dir)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(run)
    profile = _profile(run)
    req_rows: list[list[str]] = []
    proof_rows: list[list[str]] = []
    for req in run.requirements:
        proofs = proofs_for(req, run, manifest=manifest, report_href=report_href)
        req_rows.append(_requirement_row(req, proofs, profile))
        proof_rows.extend(
            [p.number, p.requirement, p.scenario, p.kind, p.description, p.ref, p.sha256, p.status] for p in proofs
        )
    xlsx = out_dir / XLSX_NAME
    _write_xlsx(xlsx, run, req_rows, proof_rows, out_dir)
    req_csv = out_dir / REQUIREMENTS_CSV
    proofs_csv = out_dir / PROOFS_CSV
    _write_csv(req_csv, REQUIREMENT_HEADER, req_rows)
    _write_csv(proofs_csv, PROOF_HEADER, proof_rows)
    return [xlsx, req_csv, proofs_csv]


class SegurProofsReporter:
    """Reporter `segur-proofs`: the Ségur DSR proof file (XLSX, plus two CSV beside it)."""

    name = "segur-proofs"
    filename = XLSX_NAME

    def render(self, run: Run, out_dir: Path, lang: str) -> Path:
        """Write the proof file of `run` into `out_dir`; the DSR is French whatever `lang`."""
        return export_segur_proofs(run.dir, out_dir)[0]


def section_of(req_id: str) -> str:
    """Section id of a requirement: `SSI/IAM` for `SSI/IAM.92`, `INS-RNIV` for `INS-RNIV-01`."""
    for sep in (".", "-"):
        head, found, tail = req_id.rpartition(sep)
        if found and head and tail.rstrip("p").isdigit():
            return head
    return req_id


def scenario_number(req_id: str, index: int = 1) -> str:
    """DSR scenario number: `<requirement>.NN`."""
    return f"{req_id}.{index:02d}"


def proofs_for(
    req: Requirement,
    run: Run,
    *,
    manifest: Mapping[str, str] | None = None,
    report_href: str = "reports/report.html",
) -> list[Proof]:
    """The proofs of one requirement, numbered as the DSR does (`<req>.01.NN`)."""
    scenario = scenario_number(req.id)
    items: list[tuple[str, str, str, str, str]] = []  # kind, description, ref, sha, status
    items.append(
        (
            "rapport",
            "Section de l'exigence dans le rapport homolog",
            f"{report_href}#req-{req.id}",
            "",
            "ok",
        )
    )
    seen: set[str] = set()
    for chk in req.checks:
        for rel in chk.evidence:
            if rel in seen:
                continue
            seen.add(rel)
            sha, status = _hash_evidence(run, rel, manifest or {})
            items.append(("fichier", f"Trace du test {chk.check}", rel, sha, status))
    if req.attestation:
        items.extend(_attestation_items(run, req.attestation, manifest or {}))
    return [
        Proof(f"{scenario}.{i:02d}", req.id, scenario, kind, desc, ref, sha, status)
        for i, (kind, desc, ref, sha, status) in enumerate(items, start=1)
    ]


# --------------------------------------------------------------------------- building rows


def _requirement_row(req: Requirement, proofs: list[Proof], profile: str) -> list[str]:
    section_id = section_of(req.id)
    tests = " ; ".join(
        f"{c.title or c.check} [{c.check}] : {_VERDICT_FR[c.shown]}" + (f" — {c.message}" if c.message else "")
        for c in req.checks
    )
    scenario_text = _text_of(req.scenario) or _text_of((req.attestation or {}).get("scenario")) or ""
    if not scenario_text and req.checks:
        # no scenario written in the referential: what the automated tests exercise is one
        titles = list(dict.fromkeys(c.title or c.check for c in req.checks))
        scenario_text = "Tests automatisés homolog : " + " ; ".join(titles)
    if req.checks:
        mode = "test automatisé"
    elif req.kind == "manual":
        mode = "preuve fournie par l'éditeur"
    else:
        mode = "non testé"
    conditional = bool(req.applies_to) or req.verdict == Verdict.NOT_APPLICABLE
    cells = [p.cell() for p in proofs[:DSR_PROOF_COLUMNS]]
    if len(proofs) > DSR_PROOF_COLUMNS:
        extra = len(proofs) - DSR_PROOF_COLUMNS + 1
        first = proofs[DSR_PROOF_COLUMNS - 1].number
        cells[-1] = f"{extra} preuves ({first} et suivantes) : feuille Preuves"
    cells += [""] * (DSR_PROOF_COLUMNS - len(cells))
    return [
        "oui" if conditional else "non",
        profile,
        section_id,
        str(req.source.get("section") or ""),
        req.family or "-",
        _NATURE.get(req.level, req.level),
        req.id,
        req.title,
        req.text_in("fr"),
        scenario_number(req.id),
        scenario_text,
        mode,
        tests,
        _VERDICT_FR[req.shown],
        req.reason or "",
        _waiver_text(req.waiver),
        *cells,
    ]


def _attestation_items(
    run: Run, att: Mapping[str, Any], manifest: Mapping[str, str]
) -> list[tuple[str, str, str, str, str]]:
    """Proofs from an attestation: the file the vendor supplied, else the proofs asked.

    run.json keeps a supplied attestation as `file` (run-relative) and `sha256` (the
    hash the attestation declared); the file is hashed again here and compared.
    """
    items: list[tuple[str, str, str, str, str]] = []
    supplied: list[tuple[Any, Any, Any]] = []
    if att.get("file"):
        supplied.append((att.get("file"), att.get("statement"), att.get("sha256")))
    for f in att.get("files") or []:
        if isinstance(f, Mapping):
            supplied.append((f.get("path"), f.get("description"), f.get("sha256")))
    for rel, desc, declared in supplied:
        if not isinstance(rel, str):
            continue
        sha, status = _hash_evidence(run, rel, manifest)
        if status == "ok" and isinstance(declared, str) and declared.lower() != sha:
            status = "empreinte différente de celle déclarée"
        who = ", ".join(
            f"{label} {att[key]}"
            for key, label in (("author", "par"), ("reviewer", "revue par"), ("date", "le"))
            if isinstance(att.get(key), str) and att.get(key)
        )
        text = _text_of(desc) or "Pièce fournie par l'éditeur"
        items.append(("attestation", f"{text} ({who})" if who else text, rel, sha, status))
    for link in att.get("links") or []:
        if isinstance(link, str):
            items.append(("lien", "Lien fourni par l'éditeur", link, "", "ok"))
    if not items:
        listed = att.get("proofs_expected") or att.get("proofs") or []
        asked = [t for t in (_text_of(p) for p in listed) if t]
        if not asked:
            one = _text_of(att.get("evidence_expected")) or _text_of(att.get("evidence"))
            asked = [one] if one else []
        items.extend(("preuve demandée", text, "", "", "à fournir") for text in asked)
    return items


def _text_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        for key in ("fr", "en"):
            if isinstance(value.get(key), str):
                return str(value[key])
    return None


def _waiver_text(waiver: Mapping[str, Any] | None) -> str:
    if not waiver:
        return ""
    parts = [
        f"{label} : {waiver[key]}"
        for key, label in (
            ("justification", "justification"),
            ("approver", "approuvée par"),
            ("expires", "expire le"),
        )
        if waiver.get(key)
    ]
    return " ; ".join(parts)


def _profile(run: Run) -> str:
    options = run.target.options
    if isinstance(options.get("profile"), str):
        return str(options["profile"])
    return ""


# --------------------------------------------------------------------------- hashing


def _read_manifest(run: Run) -> dict[str, str]:
    path = run.dir / MANIFEST
    try:
        if not path.is_file() or path.stat().st_size > _MAX_MANIFEST_BYTES:
            return {}
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    out: dict[str, str] = {}
    for line in lines:
        m = _MANIFEST_LINE.match(line.strip())
        if m:
            out[m.group(2).strip()] = m.group(1).lower()
    return out


def _hash_evidence(run: Run, rel: str, manifest: Mapping[str, str]) -> tuple[str, str]:
    path = safe_evidence_path(run, rel)
    if path is None:
        return "", "hors du run (refusé)"
    if not path.is_file():
        return "", "absent"
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        return "", f"illisible ({exc.strerror})"
    sha = digest.hexdigest()
    expected = manifest.get(rel)
    if expected is not None and expected != sha:
        return sha, "empreinte différente du manifeste"
    return sha, "ok"


# --------------------------------------------------------------------------- writing


def _csv_safe(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _write_csv(path: Path, header: Iterable[str], rows: Iterable[list[str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(list(header))
        for row in rows:
            writer.writerow([_csv_safe(v) for v in row])


def _write_xlsx(path: Path, run: Run, req_rows: list[list[str]], proof_rows: list[list[str]], out_dir: Path) -> None:
    # openpyxl ships no type information; imported here so CSV-only use does not load it.
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    wb = Workbook()
    summary = wb.active
    summary.title = "Synthèse"
    ref = run.referential
    target = run.target
    facts = [
        ("Système", f"{target.name} {target.version}"),
        ("Éditeur", target.vendor or ""),
        ("Référentiel", f"{ref.id} {ref.version}"),
        ("SHA-256 du référentiel", ref.sha256),
        ("Exécution", run.run_id),
        ("Début", run.started),
        ("Fin", run.finished),
        ("Statut", run.status),
    ]
    facts += [(f"Exigences : {_VERDICT_FR[v]}", str(n)) for v, n in run.verdict_counts().items() if n]
    if run.deselected:
        facts.append((f"Exigences : {_VERDICT_FR[DESELECTED]}", str(len(run.deselected))))
    modes = {"automated": "test automatisé", "manual": "preuve manuelle", "not_tested": "non testé"}
    for mode, label in modes.items():
        facts.append((f"Couverture : {label}", str(sum(1 for q in run.requirements if q.kind == mode))))
    for r, (label, value) in enumerate(facts, start=1):
        _put_row(summary, r, [label, value])
    summary.column_dimensions["A"].width = 32
    summary.column_dimensions["B"].width = 80

    # Links are relative to the workbook: the run directory seen from out_dir.
    to_run = Path(os.path.relpath(run.dir.resolve(), out_dir.resolve())).as_posix()
    bold = Font(bold=True)
    # One shared style object: openpyxl interns styles, a new object per cell is slow.
    wrap = Alignment(wrap_text=True, vertical="top")
    sheets = (
        ("Exigences", REQUIREMENT_HEADER, req_rows, None),
        ("Preuves", PROOF_HEADER, proof_rows, PROOF_HEADER.index("Référence")),
    )
    for title, header, rows, link_col in sheets:
        ws = wb.create_sheet(title)
        _put_row(ws, 1, list(header))
        for c in range(1, len(header) + 1):
            ws.cell(row=1, column=c).font = bold
        long_cols = [i for i, h in enumerate(header, 1) if h in ("Énoncé", "Scénario de conformité")]
        for r, row in enumerate(rows, start=2):
            _put_row(ws, r, row)
            for c in long_cols:
                ws.cell(row=r, column=c).alignment = wrap
            ref_value = row[link_col] if link_col is not None else ""
            link = _link(ref_value, to_run)
            if link and link_col is not None:
                ws.cell(row=r, column=link_col + 1).hyperlink = link
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
        for i, name in enumerate(header, start=1):
            width = 60 if name in ("Énoncé", "Scénario de conformité") else 24
            ws.column_dimensions[get_column_letter(i)].width = width
    # The reviewer's list of what the target's declarations excluded, and why.
    na = wb.create_sheet("Non applicables")
    _put_row(na, 1, ["N° exigence", "Titre", "Déclaration de la cible"])
    for c in range(1, 4):
        na.cell(row=1, column=c).font = bold
    excluded = [q for q in run.requirements if q.verdict == Verdict.NOT_APPLICABLE]
    for r, q in enumerate(excluded, start=2):
        _put_row(na, r, [q.id, q.title, q.reason or ""])
    na.column_dimensions["A"].width = 24
    na.column_dimensions["B"].width = 50
    na.column_dimensions["C"].width = 100
    wb.save(path)


def _link(ref: str, to_run: str) -> str | None:
    """Hyperlink target for a proof reference: web links and run-relative paths only."""
    if not ref:
        return None
    if _SCHEME.match(ref):
        # vendor-supplied links: only the web, never javascript:, file: or data:
        return ref if ref.startswith(("https://", "http://")) else None
    return ref if to_run == "." else f"{to_run}/{ref}"


def _put_row(ws: Any, r: int, row: list[str]) -> None:
    for c, value in enumerate(row, start=1):
        cell = ws.cell(row=r, column=c, value=_XML_ILLEGAL.sub("\ufffd", value))
        # openpyxl turns a string starting with "=" into a formula: force text instead.
        if value.startswith("="):
            cell.data_type = "s"
