"""The Ségur proof file built from a real run against the reference SUT."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from homolog.reports.segur_proofs import export_segur_proofs
from homolog.testing import run_referential


def _referential(tmp_path: Path) -> Path:
    doc: dict[str, Any] = {
        "format": "homolog.referential/1",
        "id": "segur-mini",
        "version": "1.0.0",
        "title": "Extrait de REM",
        "publisher": "homolog tests",
        "date": "2026-11-22",
        "requirements": [
            {
                "id": "SEC/WEB.01",
                "title": "HSTS",
                "text": {"fr": "Le serveur impose HTTPS au navigateur."},
                "level": "exigence",
                "source": {"document": "REM de test", "section": "Sécurité"},
                "scenario": {"fr": "Relever l'en-tête Strict-Transport-Security."},
                "checks": [{"check": "security.headers.hsts"}],
            },
            {
                "id": "DMP/ALIM.01",
                "title": "Alimentation du DMP",
                "text": {"fr": "Le DPI alimente le DMP."},
                "level": "exigence",
                "source": {"document": "REM de test", "section": "DMP"},
                "applies_to": {"modules": ["dmp"]},
                "attestation": {"evidence": {"fr": "Rapport de validation Gazelle"}},
            },
            {
                "id": "APCV.01",
                "title": "Application carte Vitale",
                "text": {"fr": "Le DPI lit l'application carte Vitale."},
                "level": "exigence",
                "source": {"document": "REM de test", "section": "APCV"},
                "applies_to": {"modules": ["apcv"]},
                "attestation": {"evidence": {"fr": "Attestation d'homologation"}},
            },
        ],
    }
    path = tmp_path / "segur-mini-1.0.0.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


@pytest.mark.parametrize(("defects", "verdict"), [((), "conforme"), (("no-hsts",), "non conforme")])
def test_proof_file_of_a_real_run(refsut: Any, tmp_path: Path, defects: tuple[str, ...], verdict: str) -> None:
    sut = refsut(defects=set(defects))
    run_dir = tmp_path / "run"
    run_referential(_referential(tmp_path), sut.target_path, run_dir)
    _, req_csv, proofs_csv = export_segur_proofs(run_dir, tmp_path / "out")
    rows = {r["N° exigence"]: r for r in _rows(req_csv)}

    assert rows["SEC/WEB.01"]["Verdict"] == verdict
    assert rows["SEC/WEB.01"]["Scénario de conformité"] == "Relever l'en-tête Strict-Transport-Security."
    files = [p for p in _rows(proofs_csv) if p["N° exigence"] == "SEC/WEB.01" and p["Type"] == "fichier"]
    assert files, "the automated requirement must point at the evidence of its check"
    for proof in files:
        data = (run_dir / proof["Référence"]).read_bytes()
        assert proof["SHA-256"] == hashlib.sha256(data).hexdigest()
        assert proof["État"] == "ok"

    assert rows["DMP/ALIM.01"]["Verdict"] == "preuve manuelle attendue"
    asked = [p for p in _rows(proofs_csv) if p["N° exigence"] == "DMP/ALIM.01" and p["Type"] == "preuve demandée"]
    assert [p["Description"] for p in asked] == ["Rapport de validation Gazelle"]

    # the demo target declares modules [dmp, mss, psc, documents]: APCV is N/A, and says why
    assert rows["APCV.01"]["Verdict"] == "non applicable"
    assert "options.modules" in rows["APCV.01"]["Motif"]
    assert rows["APCV.01"]["Conditionnelle"] == "oui"
