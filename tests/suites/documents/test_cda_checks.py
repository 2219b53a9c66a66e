"""The documents.* checks through the real engine, against the reference SUT."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from homolog.testing import run_check

CHECKS = [
    "documents.cda.conforms",
    "documents.header.ins",
    "documents.header.identity_traits",
    "documents.header.author_custodian_ids",
    "documents.header.clinical_date",
]


@pytest.fixture
def cda_env(monkeypatch: pytest.MonkeyPatch, cda_root: Path, schematron_cache: Path) -> None:
    """Point the checks at the ANS material and keep compiled schematrons in the test cache."""
    monkeypatch.setenv("HOMOLOG_CDA_DIR", str(cda_root))
    monkeypatch.setenv("HOMOLOG_CACHE_DIR", str(schematron_cache.parent / "homolog-cache"))


@pytest.mark.parametrize("check_id", CHECKS)
def test_clean_sut_passes(check_id: str, clean_sut: Any, cda_env: None, tmp_path: Path) -> None:
    res = run_check(check_id, clean_sut.target_path, tmp_path=tmp_path)
    assert res.verdict == "passed", res.message
    assert any(p.name.endswith(".xml") for p in res.evidence)


@pytest.fixture(scope="module")
def _defect_suts(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from homolog.fixtures.refsut import start_sut

    suts = {
        name: start_sut(defects={name}, workdir=tmp_path_factory.mktemp(name))
        for name in ("cda-invalid", "cda-wrong-ins-oid")
    }
    yield suts
    for sut in suts.values():
        sut.stop()


@pytest.fixture
def defect_sut(_defect_suts: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Any]:
    def get(name: str) -> Any:
        sut = _defect_suts[name]
        for key, value in sut.env.items():
            monkeypatch.setenv(key, value)
        return sut

    return get


def test_cda_invalid_fails_conformance(defect_sut: Callable[[str], Any], cda_env: None, tmp_path: Path) -> None:
    sut = defect_sut("cda-invalid")
    res = run_check("documents.cda.conforms", sut.target_path, tmp_path=tmp_path)
    assert res.verdict == "failed"
    assert "CDA-XSD" in (res.message or "")
    assert "SYNTH" in (res.message or "")  # the VSM schematron's rule on the document code
    assert any(p.name.endswith(".svrl.xml") for p in res.evidence)


def test_wrong_ins_oid_fails_ins_check(defect_sut: Callable[[str], Any], cda_env: None, tmp_path: Path) -> None:
    sut = defect_sut("cda-wrong-ins-oid")
    res = run_check("documents.header.ins", sut.target_path, tmp_path=tmp_path)
    assert res.verdict == "failed"
    assert "obsolete INS-C OID 1.2.250.1.213.1.4.2" in (res.message or "")


def test_missing_material_is_an_error(clean_sut: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HOMOLOG_CDA_DIR", raising=False)
    monkeypatch.setenv("HOMOLOG_CACHE_DIR", str(tmp_path / "empty-cache"))
    target = _target_with_documents(clean_sut, tmp_path, {})
    res = run_check("documents.cda.conforms", target, tmp_path=tmp_path)
    assert res.verdict == "error"
    assert "homolog materials fetch cda" in (res.message or "")
    assert "HOMOLOG_CDA_DIR" in (res.message or "")
    wrong = _target_with_documents(clean_sut, tmp_path, {"schematron_dir": "nowhere", "xsd": "nowhere.xsd"})
    res = run_check("documents.cda.conforms", wrong, tmp_path=tmp_path)
    assert res.verdict == "error"
    assert "schematron folder not found" in (res.message or "")


def test_fetched_material_is_used_when_nothing_is_configured(
    clean_sut: Any, cda_root: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from homolog.materials import CDA, MARKER

    monkeypatch.delenv("HOMOLOG_CDA_DIR", raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv("HOMOLOG_CACHE_DIR", str(cache))
    target = _target_with_documents(clean_sut, tmp_path, {})
    # Installed as `homolog materials fetch cda` leaves it (tests/runner/test_materials.py
    # fetches it for real from a local server): the folders, then the marker.
    installed = cache / "materials" / CDA.folder
    installed.mkdir(parents=True)
    for name in ("schematrons", "infrastructure"):
        (installed / name).symlink_to(cda_root / name)
    assert run_check("documents.cda.conforms", target, tmp_path=tmp_path).verdict == "error"  # no marker yet
    (installed / MARKER).write_text("{}", encoding="utf-8")
    assert run_check("documents.cda.conforms", target, tmp_path=tmp_path).verdict == "passed"


def _target_with_documents(clean_sut: Any, tmp_path: Path, documents: dict[str, Any]) -> Path:
    """A copy of the SUT's target whose settings.documents is replaced."""
    doc = yaml.safe_load(clean_sut.target_path.read_text("utf-8"))
    doc["settings"]["documents"] = documents
    doc["tls"]["ca_file"] = str(clean_sut.target_path.parent / doc["tls"]["ca_file"])
    n = len(list(tmp_path.glob("target-*.yaml")))
    path = tmp_path / f"target-{n}.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def _folder_target(clean_sut: Any, tmp_path: Path, folder: Path, **settings: Any) -> Path:
    return _target_with_documents(clean_sut, tmp_path, {"folder": str(folder), **settings})


def test_folder_source_with_configured_material(
    clean_sut: Any, cda_root: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("HOMOLOG_CDA_DIR", raising=False)
    folder = tmp_path / "docs"
    folder.mkdir()
    good = (cda_root / "ExemplesCDA" / "LDL-SES_2022.01.xml").read_bytes()
    (folder / "ldl.xml").write_bytes(good)
    target = _folder_target(
        clean_sut,
        tmp_path,
        folder,
        schematron_dir=str(cda_root / "schematrons"),
        xsd=str(cda_root / "infrastructure" / "cda" / "CDA_extended.xsd"),
        cache_dir=str(tmp_path / "cache"),
    )
    assert run_check("documents.cda.conforms", target, tmp_path=tmp_path).verdict == "passed"
    (folder / "broken.xml").write_bytes(good.replace(b'code="11490-0"', b'code="00000-0"'))
    res = run_check("documents.cda.conforms", target, tmp_path=tmp_path)
    assert res.verdict == "failed"
    assert "broken.xml" in (res.message or "") and "Entete_LDL-SES" in (res.message or "")
    # Folder documents have no subject: the qualified-only INS rule cannot be decided.
    res_ins = run_check("documents.header.ins", target, tmp_path=tmp_path)
    assert res_ins.verdict == "error"


def test_unknown_volet_is_undecided_but_non_cisis_document_fails(
    clean_sut: Any, cda_root: Path, tmp_path: Path
) -> None:
    n1 = (cda_root / "ExemplesCDA" / "DOC_NON_STRUCTURE_CDA-R2-N1.xml").read_bytes()
    folder = tmp_path / "n1"
    folder.mkdir()
    (folder / "n1.xml").write_bytes(n1)
    settings = {
        "schematron_dir": str(cda_root / "schematrons"),
        "xsd": str(cda_root / "infrastructure" / "cda" / "CDA_extended.xsd"),
        "cache_dir": str(tmp_path / "cache"),
    }
    target = _folder_target(clean_sut, tmp_path, folder, **settings)
    res = run_check("documents.cda.conforms", target, tmp_path=tmp_path)
    assert res.verdict == "error"
    assert "unknown volet" in (res.message or "")
    # Without the CI-SIS conformance templateId it is simply not a CI-SIS document.
    (folder / "n1.xml").write_bytes(n1.replace(b'root="1.2.250.1.213.1.1.1.1"', b'root="1.2.3"'))
    res = run_check("documents.cda.conforms", target, tmp_path=tmp_path)
    assert res.verdict == "failed"
    assert "no CI-SIS volet templateId" in (res.message or "")
