"""homolog.integrity: manifest, Ed25519 signature, verification naming each file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from homolog.integrity import (
    MANIFEST,
    SIGNATURE,
    IntegrityError,
    generate_keypair,
    sign,
    verify,
    write_manifest,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reports"))
from synthrun import build_run, demo_requirements


@pytest.fixture
def run(tmp_path: Path) -> Path:
    run_dir = build_run(tmp_path / "run", demo_requirements())
    write_manifest(run_dir)
    return run_dir


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    private, public = tmp_path / "key.pem", tmp_path / "key.pub.pem"
    generate_keypair(private, public)
    return private, public


def _evidence_files(run_dir: Path) -> list[str]:
    return sorted(p.relative_to(run_dir).as_posix() for p in (run_dir / "evidence").rglob("*") if p.is_file())


def test_manifest_covers_every_file_except_itself_signature_and_reports(run: Path) -> None:
    (run / "reports").mkdir()
    (run / "reports" / "report.html").write_text("derived")
    write_manifest(run)
    lines = (run / MANIFEST).read_text().splitlines()
    names = [line.split("  ", 1)[1] for line in lines]
    assert names == sorted(names)
    expected = sorted(
        p.relative_to(run).as_posix()
        for p in run.rglob("*")
        if p.is_file() and p.name != MANIFEST and "reports" not in p.relative_to(run).parts
    )
    assert names == expected
    assert {"run.json", "results.jsonl", "inputs/target.yaml"} <= set(names)
    assert all(len(line.split("  ", 1)[0]) == 64 for line in lines)


def test_untouched_run_verifies(run: Path) -> None:
    result = verify(run)
    assert result.ok, result.describe()
    assert (result.changed, result.added, result.missing) == ([], [], [])
    assert result.signature == "absent"
    assert "OK:" in result.describe()


def test_manifest_is_checkable_with_sha256sum(run: Path) -> None:
    if shutil.which("sha256sum") is None:
        pytest.fail("sha256sum (coreutils) is needed for this test")
    done = subprocess.run(["sha256sum", "--quiet", "-c", MANIFEST], cwd=run, capture_output=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_one_flipped_byte_in_any_evidence_file_is_named(run: Path) -> None:
    files = _evidence_files(run)
    assert len(files) >= 6  # http exchanges, screenshot, validator output, attestation...
    for rel in files:
        path = run / rel
        original = path.read_bytes()
        flipped = bytearray(original)
        flipped[len(flipped) // 2] ^= 0x01
        path.write_bytes(bytes(flipped))
        result = verify(run)
        assert not result.ok
        assert result.changed == [rel]
        assert f"changed: {rel}" in result.describe()
        path.write_bytes(original)
    assert verify(run).ok


def test_added_and_missing_files_are_named(run: Path) -> None:
    (run / "evidence" / "extra.txt").write_text("planted")
    gone = _evidence_files(run)[0]
    (run / gone).unlink()
    (run / "reports").mkdir()
    (run / "reports" / "report.html").write_text("derived, not covered")
    result = verify(run)
    assert not result.ok
    assert result.added == ["evidence/extra.txt"]
    assert result.missing == [gone]
    text = result.describe()
    assert "added:   evidence/extra.txt" in text and f"missing: {gone}" in text


def test_symlink_is_refused_when_sealing_and_reported_when_verifying(run: Path) -> None:
    (run / "evidence" / "link").symlink_to("/etc/hostname")
    assert verify(run).added == ["evidence/link"]
    with pytest.raises(IntegrityError, match="evidence/link: not regular files"):
        write_manifest(run)


def test_signature_valid_then_tampered_manifest_is_invalid(run: Path, keys: tuple[Path, Path]) -> None:
    private, public = keys
    sig = sign(run, private)
    assert sig == run / SIGNATURE and len(sig.read_bytes()) == 64
    assert verify(run, public).signature == "valid"
    assert verify(run, public).ok
    assert verify(run).signature == "not-checked"
    # Someone changes an evidence file and re-writes the manifest to hide it:
    # the hashes match again, but the signature no longer does.
    (run / "run.json").write_text((run / "run.json").read_text().replace("failed", "passed"))
    write_manifest(run)
    result = verify(run, public)
    assert result.signature == "invalid"
    assert not result.ok
    assert "signature: INVALID" in result.describe()


def test_signature_by_another_key_or_corrupted_is_invalid(run: Path, keys: tuple[Path, Path], tmp_path: Path) -> None:
    private, public = keys
    other_private, other_public = tmp_path / "o.pem", tmp_path / "o.pub"
    generate_keypair(other_private, other_public)
    sign(run, other_private)
    assert verify(run, public).signature == "invalid"
    sign(run, private)
    sig = run / SIGNATURE
    raw = bytearray(sig.read_bytes())
    raw[0] ^= 0xFF
    sig.write_bytes(bytes(raw))
    assert verify(run, public).signature == "invalid"


def test_absent_signature_fails_when_a_key_is_given(run: Path, keys: tuple[Path, Path]) -> None:
    result = verify(run, keys[1])
    assert result.signature == "absent" and not result.ok


def test_sign_refuses_a_stale_manifest(run: Path, keys: tuple[Path, Path]) -> None:
    (run / "evidence" / "late.txt").write_text("added after sealing")
    with pytest.raises(IntegrityError, match="refusing to sign"):
        sign(run, keys[0])
    assert not (run / SIGNATURE).exists()


def test_signature_checkable_with_openssl(run: Path, keys: tuple[Path, Path]) -> None:
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed for this test")
    private, public = keys
    sign(run, private)
    done = subprocess.run(
        [
            "openssl",
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            str(public),
            "-rawin",
            "-in",
            MANIFEST,
            "-sigfile",
            SIGNATURE,
        ],
        cwd=run,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_missing_manifest_and_bad_keys_are_reported(run: Path, tmp_path: Path) -> None:
    (run / MANIFEST).unlink()
    result = verify(run)
    assert not result.ok and "MANIFEST.sha256 is missing" in result.describe()
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    with pytest.raises(IntegrityError, match="not a PEM PKCS8 private key"):
        sign(run, bad)
    with pytest.raises(IntegrityError, match="not a PEM public key"):
        verify(run, bad)
    with pytest.raises(IntegrityError, match="not a directory"):
        verify(tmp_path / "nowhere")


def test_garbled_manifest_lines_are_problems(run: Path) -> None:
    manifest = run / MANIFEST
    manifest.write_text(manifest.read_text() + "zz  nothing\n" + "0" * 64 + "  ../outside\n")
    result = verify(run)
    assert not result.ok
    assert any("expected '<sha256>  <path>'" in p for p in result.problems)
    assert any("leaves the run directory" in p for p in result.problems)


def test_odd_file_names_round_trip(run: Path) -> None:
    (run / "evidence" / "back\\slash.txt").write_text("x")
    (run / "evidence" / "new\nline.txt").write_text("y")
    write_manifest(run)
    assert verify(run).ok
    (run / "evidence" / "new\nline.txt").write_text("z")
    assert verify(run).changed == ["evidence/new\nline.txt"]


def test_signing_seals_the_reports_present_and_an_edited_report_fails(run: Path, keys: tuple[Path, Path]) -> None:
    private, public = keys
    (run / "reports").mkdir()
    (run / "reports" / "report.html").write_text("<p>passed</p>")
    write_manifest(run)
    assert "reports/report.html" not in (run / MANIFEST).read_text()  # a run's own manifest: no reports yet
    sign(run, private)
    assert "reports/report.html" in (run / MANIFEST).read_text()
    assert verify(run, public).ok
    (run / "reports" / "report.html").write_text("<p>PASSED</p>")
    result = verify(run, public)
    assert not result.ok and result.changed == ["reports/report.html"]
    (run / "reports" / "report.html").write_text("<p>passed</p>")
    (run / "reports" / "later.csv").write_text("rendered after signing")
    assert verify(run, public).ok  # not vouched for, not a difference of the sealed run
