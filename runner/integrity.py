"""Integrity of a run directory: ``MANIFEST.sha256`` and a detached Ed25519 signature.

The manifest lists ``<sha256>  <relpath>`` for every file of the run, sorted by path,
in the format of GNU ``sha256sum`` (so ``sha256sum -c MANIFEST.sha256`` works from the
run directory). It leaves out itself and its signature. The manifest a run writes when
it ends leaves out ``reports/`` (derived from the run, re-creatable at any time, and not
rendered yet); :func:`sign` adds the reports present when signing, so that a signature
vouches for the report an auditor reads: an edited ``reports/report.html`` then fails
:func:`verify`. Reports rendered after the signature are not covered (listed nowhere,
verified by nobody) until the run is signed again. The signature file ``MANIFEST.sha256.sig`` holds the
64 raw bytes of an Ed25519 signature over the manifest's bytes; OpenSSL can check it:
``openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in MANIFEST.sha256
-sigfile MANIFEST.sha256.sig``.

Exceptions::

    ValueError
     └── IntegrityError   a key, manifest or run directory cannot be used as asked
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

__all__ = [
    "MANIFEST",
    "SIGNATURE",
    "IntegrityError",
    "VerifyResult",
    "generate_keypair",
    "sign",
    "verify",
    "write_manifest",
]

MANIFEST = "MANIFEST.sha256"
SIGNATURE = "MANIFEST.sha256.sig"
DERIVED_DIR = "reports"
_CHUNK = 1024 * 1024
_MAX_MANIFEST_BYTES = 256 * 1024 * 1024


class IntegrityError(ValueError):
    """A key, a manifest or a run directory cannot be used as asked."""


@dataclass
class VerifyResult:
    """Outcome of :func:`verify`: which files differ and what the signature says."""

    run_dir: Path
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    signature: str = "absent"  # "valid" | "invalid" | "absent" | "not-checked"
    problems: list[str] = field(default_factory=list)
    signature_required: bool = False

    @property
    def ok(self) -> bool:
        """True when every file matches and no signature check failed."""
        if self.changed or self.added or self.missing or self.problems:
            return False
        if self.signature == "invalid":
            return False
        return not (self.signature_required and self.signature != "valid")

    def describe(self) -> str:
        """A text a person can act on: one line per problem, then the verdict."""
        lines: list[str] = []
        lines += [f"problem: {p}" for p in self.problems]
        lines += [f"changed: {p}" for p in self.changed]
        lines += [f"added:   {p}" for p in self.added]
        lines += [f"missing: {p}" for p in self.missing]
        sig = {
            "valid": "signature: valid (Ed25519 over MANIFEST.sha256)",
            "invalid": "signature: INVALID — the manifest was not signed by this key",
            "absent": "signature: absent (no MANIFEST.sha256.sig)"
            + (" but a public key was given" if self.signature_required else ""),
            "not-checked": "signature: present, not checked (no public key given)",
        }[self.signature]
        lines.append(sig)
        if self.ok:
            lines.append(f"OK: {self.run_dir} matches its manifest")
        else:
            count = len(self.changed) + len(self.added) + len(self.missing)
            lines.append(
                f"FAILED: {self.run_dir} does not match its manifest" + (f" ({count} file(s) differ)" if count else "")
            )
        return "\n".join(lines)


def _escape(relpath: str) -> tuple[str, str]:
    # GNU sha256sum: a name with a backslash or newline is escaped and the line
    # starts with a backslash, so any file name round-trips.
    if "\\" in relpath or "\n" in relpath or "\r" in relpath:
        esc = relpath.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
        return "\\", esc
    return "", relpath


def _unescape(name: str) -> str:
    out, i = [], 0
    while i < len(name):
        ch = name[i]
        if ch == "\\" and i + 1 < len(name):
            nxt = name[i + 1]
            out.append({"\\": "\\", "n": "\n", "r": "\r"}.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _excluded(relpath: str) -> bool:
    # the live run's lock holder and homolog.api's write probe come and go; they are not the run
    return relpath in (MANIFEST, SIGNATURE, MANIFEST + ".tmp", ".homolog-lock") or relpath.startswith(".homolog-probe-")


def _derived(relpath: str) -> bool:
    return relpath.split("/", 1)[0] == DERIVED_DIR


def _walk(run_dir: Path, *, reports: bool = False) -> tuple[dict[str, Path], list[str]]:
    """Regular files of the run by relpath (`reports/` too when asked), and entries that are not regular files."""
    files: dict[str, Path] = {}
    odd: list[str] = []
    for dirpath, dirnames, filenames in os.walk(run_dir, followlinks=False):
        base = Path(dirpath)
        rel_dir = base.relative_to(run_dir).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        for d in list(dirnames):
            if (base / d).is_symlink():  # a linked folder could pull in anything
                odd.append(prefix + d)
                dirnames.remove(d)
        if not reports and prefix.split("/", 1)[0] == DERIVED_DIR:
            dirnames.clear()
            continue
        for name in filenames:
            rel = prefix + name
            if _excluded(rel):
                continue
            mode = (base / name).lstat().st_mode
            if stat.S_ISREG(mode):
                files[rel] = base / name
            else:  # symlinks, fifos, devices: never hashed (could block or leave the run)
                odd.append(rel)
    return files, odd


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _run_dir(run_dir: Path | str) -> Path:
    path = Path(run_dir)
    if not path.is_dir():
        raise IntegrityError(f"{path}: not a directory (expected a run directory)")
    return path


def _manifest_text(run_dir: Path, *, reports: bool = False) -> str:
    files, odd = _walk(run_dir, reports=reports)
    if odd:
        raise IntegrityError(
            f"{run_dir}: {', '.join(sorted(odd))}: not regular files; a run directory "
            "holds only regular files (remove the links or special files)"
        )
    lines = []
    for rel in sorted(files):
        mark, name = _escape(rel)
        lines.append(f"{mark}{_sha256(files[rel])}  {name}\n")
    return "".join(lines)


def write_manifest(run_dir: Path | str, *, reports: bool = False) -> Path:
    """Hash every file of the run into ``MANIFEST.sha256`` (``reports/`` too when asked); return its path."""
    root = _run_dir(run_dir)
    path = root / MANIFEST
    tmp = root / (MANIFEST + ".tmp")
    tmp.write_text(_manifest_text(root, reports=reports), encoding="utf-8", newline="\n")
    os.replace(tmp, path)  # atomic: a reader never sees half a manifest
    return path


def _parse_manifest(data: bytes) -> tuple[dict[str, str], list[str]]:
    entries: dict[str, str] = {}
    problems: list[str] = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return {}, [f"{MANIFEST} is not UTF-8 text"]
    for number, line in enumerate(text.split("\n"), start=1):
        if not line:
            continue
        escaped = line.startswith("\\")
        body = line[1:] if escaped else line
        digest, sep, name = body.partition("  ")
        if not sep or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            problems.append(f"{MANIFEST} line {number}: expected '<sha256>  <path>'")
            continue
        rel = _unescape(name) if escaped else name
        if rel.startswith("/") or ".." in rel.split("/"):
            problems.append(f"{MANIFEST} line {number}: path {rel!r} leaves the run directory")
            continue
        entries[rel] = digest
    return entries, problems


def _load_private(key_path: Path | str, password: bytes | None) -> Ed25519PrivateKey:
    try:
        data = Path(key_path).read_bytes()
    except OSError as exc:
        raise IntegrityError(f"{key_path}: cannot read the private key ({exc.strerror})") from None
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except (ValueError, TypeError) as exc:
        raise IntegrityError(
            f"{key_path}: not a PEM PKCS8 private key ({exc}); create one with homolog.integrity.generate_keypair"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise IntegrityError(f"{key_path}: expected an Ed25519 key, got {type(key).__name__}")
    return key


def _load_public(pubkey_path: Path | str) -> Ed25519PublicKey:
    try:
        data = Path(pubkey_path).read_bytes()
    except OSError as exc:
        raise IntegrityError(f"{pubkey_path}: cannot read the public key ({exc.strerror})") from None
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise IntegrityError(f"{pubkey_path}: not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise IntegrityError(f"{pubkey_path}: expected an Ed25519 public key, got {type(key).__name__}")
    return key


def generate_keypair(private_path: Path | str, public_path: Path | str) -> None:
    """Create an Ed25519 key pair: private key PEM PKCS8 (mode 0600), public key PEM."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(private)
    Path(public_path).write_bytes(public)


def sign(run_dir: Path | str, key_path: Path | str, *, password: bytes | None = None) -> Path:
    """Sign the run's manifest with an Ed25519 private key; return the signature path.

    Writes the manifest first if the run has none. Refuses (IntegrityError) to sign a
    manifest that no longer matches the files, since the signature would vouch for
    content that is not there. The reports present are then added to the manifest:
    the signature covers them too.
    """
    root = _run_dir(run_dir)
    key = _load_private(key_path, password)
    manifest = root / MANIFEST
    if manifest.is_file():
        check = verify(root)
        if check.changed or check.added or check.missing or check.problems:
            raise IntegrityError(
                f"{root}: the files do not match {MANIFEST}; refusing to sign.\n"
                + check.describe()
                + "\nRe-create the manifest (write_manifest) only if the changes are intended."
            )
    write_manifest(root, reports=True)
    signature = key.sign(manifest.read_bytes())
    path = root / SIGNATURE
    path.write_bytes(signature)
    return path


def verify(run_dir: Path | str, pubkey_path: Path | str | None = None) -> VerifyResult:
    """Check every file against ``MANIFEST.sha256`` and, given a public key, its signature.

    Without ``pubkey_path`` an existing signature is reported "not-checked": a key
    stored in the run itself would prove nothing. With a key, an absent signature
    makes the result fail.
    """
    root = _run_dir(run_dir)
    result = VerifyResult(run_dir=root, signature_required=pubkey_path is not None)
    public = _load_public(pubkey_path) if pubkey_path is not None else None
    manifest = root / MANIFEST
    try:
        if manifest.stat().st_size > _MAX_MANIFEST_BYTES:
            result.problems.append(f"{MANIFEST} is larger than {_MAX_MANIFEST_BYTES} bytes")
            return result
        data = manifest.read_bytes()
    except OSError:
        result.problems.append(f"{MANIFEST} is missing: the run was never sealed")
        return result
    entries, problems = _parse_manifest(data)
    result.problems += problems
    # reports the manifest lists (a signed run) are checked; others are derived files nobody vouched for
    files, odd = _walk(root, reports=True)
    for rel in sorted(entries):
        path = files.get(rel)
        if path is None:
            (result.changed if rel in odd else result.missing).append(rel)
        elif _sha256(path) != entries[rel]:
            result.changed.append(rel)
    result.added = sorted(
        [rel for rel in files if rel not in entries and not _derived(rel)]
        + [r for r in odd if r not in entries and not _derived(r)]
    )
    sig_path = root / SIGNATURE
    if not sig_path.is_file():
        result.signature = "absent"
    elif public is None:
        result.signature = "not-checked"
    else:
        try:
            public.verify(sig_path.read_bytes(), data)
            result.signature = "valid"
        except InvalidSignature:
            result.signature = "invalid"
    return result
