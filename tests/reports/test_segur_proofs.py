"""The Ségur proof file: DSR structure, proofs pointing at the run's evidence with hashes."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from synthrun import run_document, write_run

from homolog.reports.model import ReportError
from homolog.reports.segur_proofs import (
    DSR_PROOF_COLUMNS,
    PROOF_HEADER,
    REQUIREMENT_HEADER,
    SegurProofsReporter,
    export_segur_proofs,
    section_of,
)
from homolog.runfile import RunRequirement


def _write(run_dir: Path, rel: str, data: bytes) -> str:
    path = run_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def _requirement(rid: str, verdict: str, **extra: Any) -> RunRequirement:
    req: dict[str, Any] = {
        "id": rid,
        "title": f"Titre {rid}",
        "text": {"fr": f"Énoncé de {rid}", "en": f"Statement of {rid}"},
        "level": "exigence",
        "family": "securite",
        "source": {"document": "REM DPI", "section": "SSI — Authentification"},
        "origin": "segur-dpi@2.0.0",
        "verdict": verdict,
        "reason": None,
        "attestation": None,
        "waiver": None,
        "checks": [],
        "deselected": False,
    }
    req.update(extra)
    req["checks"] = [{"deselected": False} | c for c in req["checks"]]
    req["kind"] = "automated" if req["checks"] else "manual" if req["attestation"] else "not_tested"
    return RunRequirement.from_json(req)


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A synthetic finished run: automated, manual, N/A, waived and hostile-content rows."""
    run = tmp_path / "run"
    run.mkdir()
    sha_a = _write(run, "evidence/hsts/01-http-GET.json", b'{"request": "GET /"}')
    sha_b = _write(run, "evidence/hsts/02-http-GET.json", b'{"request": "GET /login"}')
    _write(run, "evidence/tampered/01.json", b"changed after the run")
    sha_att = _write(run, "evidence/attestations/CDA_VISU.01--captures.pdf", b"%PDF-1.7 captures")
    _write(run, "evidence/attestations/CDA_INT.15--declaration.pdf", b"%PDF-1.7 declaration")
    many = [f"evidence/many/{i:02d}.json" for i in range(12)]
    for rel in many:
        _write(run, rel, rel.encode())
    requirements = [
        _requirement(
            "SSI/IE.39",
            "passed",
            checks=[
                {
                    "check": "security.headers.hsts",
                    "title": "Le serveur web envoie Strict-Transport-Security.",
                    "params": {},
                    "verdict": "passed",
                    "message": "",
                    "evidence": [
                        "evidence/hsts/01-http-GET.json",
                        "evidence/hsts/02-http-GET.json",
                    ],
                }
            ],
        ),
        _requirement(
            "DMP/ALIM.01",
            "manual",
            applies_to={"modules": ["dmp"]},
            level="preconisation",
            scenario={"fr": "Envoyer une lettre de liaison au DMP de test."},
            attestation={
                "evidence_expected": {"fr": "Rapport de validation Gazelle"},
                "proofs_expected": [
                    {"fr": "Lien vers le rapport Gazelle"},
                    {"fr": "Captures d'écran"},
                ],
            },
        ),
        _requirement(
            "CDA/VISU.01",
            "attested",
            attestation={
                "evidence_expected": {"fr": "Captures d'écran"},
                "file": "evidence/attestations/CDA_VISU.01--captures.pdf",
                "sha256": sha_att,
                "author": "QA éditeur",
                "reviewer": "Auditeur X",
                "date": "2026-11-20",
            },
        ),
        _requirement(
            "CDA/INT.15",
            "attested",
            attestation={
                "evidence_expected": {"fr": "Déclaration sur l'honneur"},
                "file": "evidence/attestations/CDA_INT.15--declaration.pdf",
                "sha256": "f" * 64,
            },
        ),
        _requirement(
            "APCV.01",
            "not_applicable",
            applies_to={"modules": ["apcv"]},
            reason="options.modules = [dmp, mss, psc, documents] does not include apcv",
        ),
        _requirement(
            "MSS/CONF.01",
            "failed",
            reason="=1+1",
            checks=[
                {
                    "check": "security.tls.minimum_version",
                    "title": "TLS 1.2 minimum",
                    "params": {},
                    "verdict": "failed",
                    "message": '=HYPERLINK("http://evil.example","click")',
                    "evidence": [
                        "evidence/tampered/01.json",
                        "evidence/gone/missing.json",
                        "evidence/../../outside.json",
                    ],
                }
            ],
        ),
        _requirement(
            "SSI/IAM.92",
            "waived",
            waiver={
                "justification": "correctif prévu",
                "approver": "RSSI",
                "expires": "2027-01-31",
            },
            checks=[
                {
                    "check": "security.auth.lockout",
                    "title": "Verrouillage",
                    "params": {},
                    "verdict": "failed",
                    "message": "",
                    "evidence": many,
                }
            ],
        ),
    ]
    doc = run_document(
        requirements,
        run_id="run-1",
        referential_id="segur-dpi",
        referential_version="2.0.0",
        referential_sha256="ab" * 32,
        target_name="DPI de test",
        options={"profile": "DPI", "modules": ["dmp", "mss", "psc", "documents"]},
    )
    write_run(run, doc)
    manifest = [
        f"{sha_a}  evidence/hsts/01-http-GET.json",
        f"{sha_b}  evidence/hsts/02-http-GET.json",
        f"{'0' * 64}  evidence/tampered/01.json",
    ]
    (run / "MANIFEST.sha256").write_text("\n".join(manifest) + "\n", "utf-8")
    return run


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def test_export_writes_xlsx_and_two_csv(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    paths = export_segur_proofs(run_dir, out)
    assert [p.name for p in paths] == [
        "segur-proofs.xlsx",
        "segur-proofs-exigences.csv",
        "segur-proofs-preuves.csv",
    ]
    wb = load_workbook(paths[0])
    assert wb.sheetnames == ["Synthèse", "Exigences", "Preuves", "Non applicables"]
    header = [c.value for c in wb["Exigences"][1]]
    assert tuple(header) == REQUIREMENT_HEADER
    assert tuple(c.value for c in wb["Preuves"][1]) == PROOF_HEADER
    assert [c.value for c in wb["Exigences"]["G"][1:]] == [
        "SSI/IE.39",
        "DMP/ALIM.01",
        "CDA/VISU.01",
        "CDA/INT.15",
        "APCV.01",
        "MSS/CONF.01",
        "SSI/IAM.92",
    ]
    summary = {r[0].value: r[1].value for r in wb["Synthèse"].iter_rows()}
    assert summary["Référentiel"] == "segur-dpi 2.0.0"
    assert summary["SHA-256 du référentiel"] == "ab" * 32
    assert summary["Système"] == "DPI de test 1.0.0"
    assert summary["Couverture : test automatisé"] == "3"
    assert summary["Couverture : preuve manuelle"] == "3"
    na = [[c.value for c in row] for row in wb["Non applicables"].iter_rows(min_row=2)]
    assert na == [
        [
            "APCV.01",
            "Titre APCV.01",
            "options.modules = [dmp, mss, psc, documents] does not include apcv",
        ]
    ]


def test_automated_proofs_point_at_report_and_evidence_with_hash(run_dir: Path, tmp_path: Path) -> None:
    _, req_csv, proofs_csv = export_segur_proofs(run_dir, tmp_path / "out")
    proofs = [p for p in _csv(proofs_csv) if p["N° exigence"] == "SSI/IE.39"]
    assert [p["N° preuve"] for p in proofs] == [
        "SSI/IE.39.01.01",
        "SSI/IE.39.01.02",
        "SSI/IE.39.01.03",
    ]
    assert proofs[0]["Référence"] == "reports/report.html#req-SSI/IE.39"
    assert proofs[1]["Référence"] == "evidence/hsts/01-http-GET.json"
    expected = hashlib.sha256(b'{"request": "GET /"}').hexdigest()
    assert proofs[1]["SHA-256"] == expected
    assert {p["État"] for p in proofs} == {"ok"}
    row = next(r for r in _csv(req_csv) if r["N° exigence"] == "SSI/IE.39")
    assert row["N° scénario"] == "SSI/IE.39.01"
    assert row["Nature"] == "Exigence (DOIT)"
    assert row["ID section"] == "SSI/IE"
    assert row["Profil"] == "DPI"
    assert row["Verdict"] == "conforme"
    assert expected in row["Preuve 2"]
    assert "security.headers.hsts" in row["Tests automatisés"]
    assert row["Mode de preuve"] == "test automatisé"


def test_manual_requirement_lists_the_proofs_asked(run_dir: Path, tmp_path: Path) -> None:
    _, req_csv, proofs_csv = export_segur_proofs(run_dir, tmp_path / "out")
    row = next(r for r in _csv(req_csv) if r["N° exigence"] == "DMP/ALIM.01")
    assert row["Conditionnelle"] == "oui"
    assert row["Nature"] == "Préconisation (PEUT)"
    assert row["Scénario de conformité"] == "Envoyer une lettre de liaison au DMP de test."
    assert row["Verdict"] == "preuve manuelle attendue"
    asked = [p for p in _csv(proofs_csv) if p["N° exigence"] == "DMP/ALIM.01"][1:]
    assert [(p["Type"], p["Description"], p["État"]) for p in asked] == [
        ("preuve demandée", "Lien vers le rapport Gazelle", "à fournir"),
        ("preuve demandée", "Captures d'écran", "à fournir"),
    ]


def test_attested_requirement_points_at_the_supplied_file(run_dir: Path, tmp_path: Path) -> None:
    _, req_csv, proofs_csv = export_segur_proofs(run_dir, tmp_path / "out")
    proofs = {p["N° exigence"]: p for p in _csv(proofs_csv) if p["Type"] == "attestation"}
    good = proofs["CDA/VISU.01"]
    assert good["Référence"] == "evidence/attestations/CDA_VISU.01--captures.pdf"
    assert good["SHA-256"] == hashlib.sha256(b"%PDF-1.7 captures").hexdigest()
    assert good["État"] == "ok"
    assert "revue par Auditeur X" in good["Description"]
    # the file in the run is not the one the attestation declared
    assert proofs["CDA/INT.15"]["État"] == "empreinte différente de celle déclarée"
    row = next(r for r in _csv(req_csv) if r["N° exigence"] == "CDA/VISU.01")
    assert row["Verdict"] == "attesté"
    assert row["Mode de preuve"] == "preuve fournie par l'éditeur"


def test_not_applicable_keeps_the_declaration(run_dir: Path, tmp_path: Path) -> None:
    _, req_csv, _ = export_segur_proofs(run_dir, tmp_path / "out")
    row = next(r for r in _csv(req_csv) if r["N° exigence"] == "APCV.01")
    assert row["Verdict"] == "non applicable"
    assert row["Conditionnelle"] == "oui"
    assert "does not include apcv" in row["Motif"]


def test_bad_evidence_is_reported_not_dropped(run_dir: Path, tmp_path: Path) -> None:
    _, _, proofs_csv = export_segur_proofs(run_dir, tmp_path / "out")
    status = {p["Référence"]: p["État"] for p in _csv(proofs_csv) if p["N° exigence"] == "MSS/CONF.01"}
    assert status["evidence/tampered/01.json"] == "empreinte différente du manifeste"
    assert status["evidence/gone/missing.json"] == "absent"
    assert status["evidence/../../outside.json"] == "hors du run (refusé)"


def test_sut_text_never_becomes_a_formula(run_dir: Path, tmp_path: Path) -> None:
    xlsx, req_csv, _ = export_segur_proofs(run_dir, tmp_path / "out")
    row = next(r for r in _csv(req_csv) if r["N° exigence"] == "MSS/CONF.01")
    assert "=HYPERLINK" in row["Tests automatisés"]
    # a cell whose text starts with "=" is escaped in CSV and typed as text in XLSX
    assert row["Motif"] == "'=1+1"
    ws = load_workbook(xlsx)["Exigences"]
    motif = REQUIREMENT_HEADER.index("Motif") + 1
    cell = next(ws.cell(r, motif) for r in range(2, ws.max_row + 1) if ws.cell(r, 7).value == "MSS/CONF.01")
    assert cell.value == "=1+1"
    assert cell.data_type == "s"


def test_more_proofs_than_dsr_columns_overflow_to_proof_sheet(run_dir: Path, tmp_path: Path) -> None:
    _, req_csv, proofs_csv = export_segur_proofs(run_dir, tmp_path / "out")
    row = next(r for r in _csv(req_csv) if r["N° exigence"] == "SSI/IAM.92")
    assert "feuille Preuves" in row[f"Preuve {DSR_PROOF_COLUMNS}"]
    assert "approuvée par : RSSI" in row["Dérogation"]
    assert len([p for p in _csv(proofs_csv) if p["N° exigence"] == "SSI/IAM.92"]) == 13


def test_xlsx_links_are_relative_to_the_workbook(run_dir: Path, tmp_path: Path) -> None:
    xlsx = export_segur_proofs(run_dir, tmp_path / "out")[0]
    ws = load_workbook(xlsx)["Preuves"]
    links = [c.hyperlink.target for c in ws["F"][1:] if c.hyperlink is not None]
    assert "../run/evidence/hsts/01-http-GET.json" in links
    assert "../run/reports/report.html#req-SSI/IE.39" in links


def test_reporter_renders_beside_the_other_reports(run_dir: Path) -> None:
    from homolog.reports.model import load_run

    path = SegurProofsReporter().render(load_run(run_dir), run_dir / "reports", "en")
    assert path == run_dir / "reports" / "segur-proofs.xlsx"
    links = [c.hyperlink.target for c in load_workbook(path)["Preuves"]["F"][1:] if c.hyperlink]
    assert "../evidence/hsts/01-http-GET.json" in links
    assert "../reports/report.html#req-SSI/IE.39" in links


def test_not_a_run_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_text('{"format": "something/else"}', "utf-8")
    with pytest.raises(ReportError, match=r"format is 'something/else', expected 'homolog\.run/2'"):
        export_segur_proofs(tmp_path, tmp_path / "out")


@pytest.mark.parametrize(
    ("req_id", "section"),
    [
        ("SSI/IAM.92", "SSI/IAM"),
        ("ORDN/CONF.01p", "ORDN/CONF"),
        ("PSC.08", "PSC"),
        ("INS/va1.05", "INS/va1"),
        ("INS-RNIV-01", "INS-RNIV"),
        ("RGAA-3.2", "RGAA-3"),
        ("HL-PSC-AB", "HL-PSC-AB"),
    ],
)
def test_section_of_a_requirement(req_id: str, section: str) -> None:
    assert section_of(req_id) == section


def test_scenario_falls_back_to_what_the_tests_exercise(run_dir: Path, tmp_path: Path) -> None:
    _, req_csv, _ = export_segur_proofs(run_dir, tmp_path / "out")
    row = next(r for r in _csv(req_csv) if r["N° exigence"] == "SSI/IE.39")
    assert row["Scénario de conformité"] == (
        "Tests automatisés homolog : Le serveur web envoie Strict-Transport-Security."
    )
