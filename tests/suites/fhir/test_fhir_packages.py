"""FHIR package loading: .tgz, folders, the package cache, the search path, clear errors."""

from __future__ import annotations

import io
import shutil
import tarfile
from pathlib import Path

import pytest

from homolog.suites.fhir.packages import (
    ENV_VAR,
    BadPackage,
    PackageNotFound,
    default_search_path,
    load_conformance,
    load_package,
)

FR_PATIENT_INS = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-ins"


def test_tgz_indexes_conformance_resources_by_url_and_version(fr_core_tgz: Path) -> None:
    pkg = load_package(fr_core_tgz)
    assert (pkg.name, pkg.version) == ("hl7.fhir.fr.core", "2.2.0")
    kinds = [r["resourceType"] for r in pkg.resources]
    assert kinds.count("StructureDefinition") == 64
    assert kinds.count("ValueSet") == 51 and kinds.count("CodeSystem") == 26
    assert len(pkg.examples) >= 30

    conf = load_conformance([fr_core_tgz])
    sd = conf.structure_definition(FR_PATIENT_INS)
    assert sd is not None and sd["type"] == "Patient"
    assert conf.structure_definition(FR_PATIENT_INS + "|2.2.0") is sd
    assert conf.value_set("https://hl7.fr/ig/fhir/core/ValueSet/fr-core-vs-identity-reliability")
    assert conf.code_system("https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0445")
    assert conf.structure_definition("https://example.org/nothing") is None


def test_absent_dependencies_are_listed_not_fetched(fr_core_tgz: Path) -> None:
    conf = load_conformance([fr_core_tgz])
    assert conf.missing == {
        "hl7.fhir.r4.core": "4.0.1",
        "hl7.terminology.r4": "7.1.0",
        "hl7.fhir.uv.extensions.r4": "5.2.0",
        "ans.fr.terminologies": "1.7.0",
    }


def _install_in_cache(tgz: Path, home: Path) -> Path:
    folder = home / ".fhir" / "packages" / "hl7.fhir.fr.core#2.2.0"
    with tarfile.open(tgz, "r:gz") as tar:
        tar.extractall(folder, filter="data")
    return folder


def test_package_cache_layout_is_found_by_id(
    fr_core_tgz: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv(ENV_VAR, raising=False)
    folder = _install_in_cache(fr_core_tgz, tmp_path)
    conf = load_conformance(["hl7.fhir.fr.core#2.2.0"])
    assert conf.packages[0].source == folder
    assert conf.structure_definition(FR_PATIENT_INS) is not None
    # Without a version, the cached one is taken too.
    assert load_conformance(["hl7.fhir.fr.core"]).packages[0].version == "2.2.0"


def test_search_order_settings_then_run_folders_then_cache(
    fr_core_tgz: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    folders_dir, settings_dir = tmp_path / "env", tmp_path / "settings"
    folders_dir.mkdir()
    settings_dir.mkdir()
    # the environment is read by the front ends only (into settings.fhir.package_folders)
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "ignored"))
    assert default_search_path([settings_dir, folders_dir]) == [
        settings_dir,
        folders_dir,
        tmp_path / "home" / ".fhir" / "packages",
    ]
    shutil.copy(fr_core_tgz, folders_dir)
    conf = load_conformance(["hl7.fhir.fr.core#2.2.0"], search=[settings_dir, folders_dir])
    assert conf.packages[0].source.parent == folders_dir
    shutil.copy(fr_core_tgz, settings_dir)
    conf = load_conformance(["hl7.fhir.fr.core#2.2.0"], search=[settings_dir, folders_dir])
    assert conf.packages[0].source.parent == settings_dir


def test_missing_package_says_where_to_put_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(PackageNotFound) as info:
        load_conformance(["hl7.fhir.fr.core#2.2.0"], search=[tmp_path / "nowhere"])
    text = str(info.value)
    assert "hl7.fhir.fr.core#2.2.0 not found" in text
    assert str(tmp_path / "nowhere") in text and ".fhir/packages" in text
    assert "settings.fhir.packages" in text and ENV_VAR in text
    assert "never downloads" in text


def test_unreadable_package_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.tgz"
    bad.write_bytes(b"not a tarball")
    with pytest.raises(BadPackage, match=r"not a readable \.tgz"):
        load_package(bad)
    empty = tmp_path / "empty.tgz"
    with tarfile.open(empty, "w:gz") as tar:
        data = b"{}"
        info = tarfile.TarInfo("package/other.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(BadPackage, match=r"no package/package.json"):
        load_package(empty)


def test_members_outside_package_folder_are_ignored(tmp_path: Path) -> None:
    tgz = tmp_path / "evil-1.0.0.tgz"
    with tarfile.open(tgz, "w:gz") as tar:
        for name, body in {
            "package/package.json": b'{"name": "evil", "version": "1.0.0"}',
            "../escape.json": b'{"resourceType": "ValueSet", "url": "x"}',
        }.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    pkg = load_package(tgz)
    assert pkg.resources == [] and not (tmp_path.parent / "escape.json").exists()
