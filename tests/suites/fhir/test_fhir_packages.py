"""FHIR package loading: .tgz, folders, the package cache, the search path, clear errors."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from homolog.suites.fhir import packages
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
    kinds = [r["resourceType"] for r in pkg.conformance_resources()]
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


def test_absent_dependencies_are_listed_with_what_they_weaken(
    fr_core_tgz: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv(ENV_VAR, raising=False)
    conf = load_conformance([fr_core_tgz])
    # hl7.fhir.r4.core is shipped with homolog: found; the three others are not.
    assert [p.key for p in conf.packages] == ["hl7.fhir.fr.core#2.2.0", "hl7.fhir.r4.core#4.0.1"]
    assert conf.packages[1].source.parent == packages.SHIPPED_DIR
    assert conf.missing == {
        "hl7.terminology.r4": "7.1.0",
        "hl7.fhir.uv.extensions.r4": "5.2.0",
        "ans.fr.terminologies": "1.7.0",
    }
    missing = {m.name: m for m in conf.missing_dependencies()}
    assert missing["ans.fr.terminologies"].required_by == ("hl7.fhir.fr.core#2.2.0",)
    assert "ANS terminologies" in missing["ans.fr.terminologies"].weakens
    assert missing["hl7.terminology.r4"].to_json()["package"] == "hl7.terminology.r4#7.1.0"
    # Without the shipped folder, base R4 is missing too, and says what that weakens.
    monkeypatch.setattr(packages, "SHIPPED_DIR", tmp_path / "none")
    conf = load_conformance([fr_core_tgz])
    assert "base R4 rules" in {m.name: m for m in conf.missing_dependencies()}["hl7.fhir.r4.core"].weakens


def test_a_folder_of_packages_and_an_extracted_folder_load(fr_core_tgz: Path, tmp_path: Path) -> None:
    folder = tmp_path / "pkgs"
    folder.mkdir()
    shutil.copy(fr_core_tgz, folder)
    conf = load_conformance([folder])
    assert conf.packages[0].key == "hl7.fhir.fr.core#2.2.0"
    extracted = tmp_path / "x"
    with tarfile.open(fr_core_tgz, "r:gz") as tar:
        tar.extractall(extracted, filter="data")
    assert load_conformance([extracted]).packages[0].key == "hl7.fhir.fr.core#2.2.0"  # package/ layout
    assert load_conformance([extracted / "package"]).packages[0].key == "hl7.fhir.fr.core#2.2.0"  # package.json
    (tmp_path / "nothing").mkdir()
    with pytest.raises(BadPackage, match=r"not a FHIR package .* and no package"):
        load_conformance([tmp_path / "nothing"])


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
        packages.SHIPPED_DIR,
    ]
    shutil.copy(fr_core_tgz, folders_dir)
    conf = load_conformance(["hl7.fhir.fr.core#2.2.0"], search=[settings_dir, folders_dir])
    assert conf.packages[0].source.parent == folders_dir
    shutil.copy(fr_core_tgz, settings_dir)
    conf = load_conformance(["hl7.fhir.fr.core#2.2.0"], search=[settings_dir, folders_dir])
    assert conf.packages[0].source.parent == settings_dir


def test_missing_package_says_where_to_put_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(packages, "SHIPPED_DIR", tmp_path / "none")
    with pytest.raises(PackageNotFound) as info:
        load_conformance(["hl7.fhir.fr.core#2.2.0"], search=[tmp_path / "nowhere"])
    text = str(info.value)
    assert "hl7.fhir.fr.core#2.2.0 not found" in text
    assert str(tmp_path / "nowhere") in text and ".fhir/packages" in text
    assert "settings.fhir.packages" in text and ENV_VAR in text
    assert "never downloads" in text
    assert "`homolog materials fetch fhir`" in text


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


def test_a_tarball_over_the_size_limit_is_refused_unread(
    fr_core_tgz: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMOLOG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(packages, "MAX_PACKAGE_BYTES", fr_core_tgz.stat().st_size - 1)
    with pytest.raises(BadPackage, match=r"larger than"):
        load_package(fr_core_tgz)
    assert not (tmp_path / "cache").exists()


def test_members_outside_package_folder_are_ignored(tmp_path: Path) -> None:
    tgz = _tarball(
        tmp_path / "evil-1.0.0.tgz",
        {
            "package/package.json": b'{"name": "evil", "version": "1.0.0"}',
            "../escape.json": b'{"resourceType": "ValueSet", "url": "x"}',
        },
    )
    pkg = load_package(tgz)
    assert pkg.resources == [] and not (tmp_path.parent / "escape.json").exists()


def _tarball(path: Path, members: dict[str, bytes]) -> Path:
    """A .tgz of these members (names as given: outside package/ too)."""
    with tarfile.open(path, "w:gz") as tar:
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return path


def _tgz(path: Path, files: dict[str, bytes]) -> Path:
    return _tarball(path, {f"package/{name}": body for name, body in files.items()})


def test_resources_listed_in_the_index_are_read_when_asked_for(tmp_path: Path) -> None:
    vs = b'{"resourceType": "ValueSet", "url": "http://x.invalid/vs", "status": "active"}'
    index = {
        "index-version": 1,
        "files": [
            {"filename": "ValueSet-vs.json", "resourceType": "ValueSet", "url": "http://x.invalid/vs"},
            {"filename": "ValueSet-liar.json", "resourceType": "ValueSet", "url": "http://x.invalid/other"},
        ],
    }
    tgz = _tgz(
        tmp_path / "p-1.0.0.tgz",
        {
            "package.json": b'{"name": "p", "version": "1.0.0"}',
            ".index.json": json.dumps(index).encode(),
            "ValueSet-vs.json": vs,
            "ValueSet-liar.json": vs,  # says http://x.invalid/vs, indexed as .../other
        },
    )
    pkg = load_package(tgz)
    assert pkg.resources == [] and len(pkg.deferred) == 2  # nothing parsed yet
    conf = load_conformance([tgz])
    assert conf.value_set("http://x.invalid/vs") is not None
    assert conf.value_set("http://x.invalid/other") is None  # the index lied: not used
    # A broken index only costs the speed-up.
    broken = _tgz(
        tmp_path / "q-1.0.0.tgz",
        {"package.json": b'{"name": "q", "version": "1.0.0"}', ".index.json": b"{", "ValueSet-vs.json": vs},
    )
    assert load_conformance([broken]).value_set("http://x.invalid/vs") is not None


def _as_loaded(pkg: packages.FhirPackage) -> tuple[object, ...]:
    """Everything a load gives, deferred resources read, in order."""
    return (
        pkg.key,
        pkg.source,
        pkg.manifest,
        pkg.resources,
        list(pkg.examples.items()),
        [(d.resource_type, d.url, d.version, d.where, d.load()) for d in pkg.deferred],
    )


def _no_tarball(*args: object, **kwargs: object) -> None:
    raise AssertionError("the tarball was read again")


def test_a_tarball_is_unpacked_once_and_loads_the_same_from_its_copy(
    fr_core_tgz: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("HOMOLOG_CACHE_DIR", str(cache))
    tgz = tmp_path / "fr.tgz"
    shutil.copy(fr_core_tgz, tgz)
    first = load_package(tgz)
    assert first.deferred and all(d.data is not None for d in first.deferred)  # read from the tarball
    (copy,) = (cache / packages.UNPACKED_DIR).iterdir()
    assert not [p for p in copy.parent.iterdir() if p.name.startswith(".")]  # no staging folder left

    monkeypatch.setattr(tarfile, "open", _no_tarball)
    second = load_package(tgz)
    assert all(d.data is None and d.path == copy / "members.bin" for d in second.deferred)  # read when asked
    assert sorted(p.name for p in copy.iterdir()) == ["members.bin", "members.json"]  # not a file per member
    assert _as_loaded(second) == _as_loaded(first)  # same order too: the last resource of a URL wins
    assert second.source == tgz  # messages and evidence name the package file, not the copy


def test_a_broken_or_unwritable_copy_only_costs_the_speed_up(
    fr_core_tgz: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("HOMOLOG_CACHE_DIR", str(cache))
    expected = _as_loaded(load_package(fr_core_tgz))
    (copy,) = (cache / packages.UNPACKED_DIR).iterdir()
    listed = json.loads((copy / "members.json").read_text("utf-8"))
    example = next(m for m in listed["members"] if m[0].startswith("example/"))

    def overwrite(offset: int, text: bytes) -> None:
        with (copy / "members.bin").open("r+b") as blob:
            blob.seek(offset)
            blob.write(text)

    for damage in (
        lambda: (copy / "members.json").write_text("{", "utf-8"),
        lambda: (copy / "members.json").write_text('{"members": [["package.json", 0]], "size": 9}', "utf-8"),
        lambda: (copy / "members.json").write_text(
            json.dumps({**listed, "members": [*listed["members"], ["x.json", listed["size"], 10]]}), "utf-8"
        ),
        lambda: (copy / "members.bin").write_bytes((copy / "members.bin").read_bytes()[:-100]),  # cut short
        lambda: (copy / "members.bin").unlink(),
        lambda: overwrite(example[1], b"not json"),
        # written by a version of homolog that laid copies out otherwise (no layout named)
        lambda: (copy / "members.json").write_text(
            json.dumps({k: v for k, v in listed.items() if k != "layout"}), "utf-8"
        ),
    ):
        shutil.rmtree(copy)
        load_package(fr_core_tgz)  # unpacked again
        damage()
        assert _as_loaded(load_package(fr_core_tgz)) == expected  # from the tarball...
        # ... which replaced the copy: the next load reads the new one, not the tarball
        with monkeypatch.context() as patched:
            patched.setattr(tarfile, "open", _no_tarball)
            again = load_package(fr_core_tgz)
        assert all(d.data is None for d in again.deferred)
        assert _as_loaded(again) == expected
        assert [p.name for p in copy.parent.iterdir()] == [copy.name]  # nothing left aside
    # The cache emptied during a run: a package loaded from the copy still reads it; a copy
    # changed in place under it is a clear error.
    shutil.rmtree(copy)
    load_package(fr_core_tgz)  # unpacked again
    pkg = load_package(fr_core_tgz)  # from the copy
    shutil.rmtree(copy)
    assert _as_loaded(pkg) == expected
    load_package(fr_core_tgz)
    cut = load_package(fr_core_tgz)
    (copy / "members.bin").write_bytes(b"")  # (the same file, emptied)
    with pytest.raises(BadPackage, match=r"cannot be read from .*members.bin.* bytes at offset"):
        cut.deferred[-1].load()
    # A cache folder that cannot be made: every load reads the tarball.
    blocked = tmp_path / "a-file"
    blocked.write_text("", "utf-8")
    monkeypatch.setenv("HOMOLOG_CACHE_DIR", str(blocked))
    assert _as_loaded(load_package(fr_core_tgz)) == expected
    assert _as_loaded(load_package(fr_core_tgz)) == expected


def test_a_copy_follows_the_content_and_holds_what_a_load_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("HOMOLOG_CACHE_DIR", str(cache))
    tgz = tmp_path / "p-1.0.0.tgz"
    vs = {"resourceType": "ValueSet", "url": "http://x.invalid/vs", "status": "active"}
    _tgz(
        tgz,
        {
            "package.json": b'{"name": "p", "version": "1.0.0"}',
            "ValueSet-vs.json": json.dumps(vs).encode(),
            "../escape.json": b"{}",
            "example/../../../escape2.json": b"{}",
            "other/deep.json": b"{}",
            "README.md": b"text",
        },
    )
    assert load_package(tgz).resources == [vs]
    (copy,) = (cache / packages.UNPACKED_DIR).iterdir()
    listed = json.loads((copy / "members.json").read_text("utf-8"))["members"]
    assert [name for name, _, _ in listed] == ["package.json", "ValueSet-vs.json"]
    assert not list(tmp_path.rglob("escape*.json"))
    assert load_package(tgz).resources == [vs]  # from the copy
    # Another tarball at the same path: a copy of its own, not the old one.
    _tgz(tgz, {"package.json": b'{"name": "p", "version": "1.0.1"}'})
    assert load_package(tgz).version == "1.0.1"
    assert load_package(tgz).version == "1.0.1"
    assert len(list((cache / packages.UNPACKED_DIR).iterdir())) == 2
