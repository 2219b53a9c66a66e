"""Published material homolog uses but does not ship: ``homolog materials fetch cda|fhir``.

- ``cda``: the ANS TestContenuCDA material (CI-SIS schematrons, CDA XSD, value sets,
  example documents) at a pinned commit of github.com/ansforge/TestContenuCDA-3-0. The
  repository states no licence for it (only its stylesheets are Apache-2.0), so homolog does
  not redistribute it. Installed in ``<cache>/materials/<folder>/`` where ``<cache>`` is
  ``$HOMOLOG_CACHE_DIR`` or ``~/.cache/homolog``; the documents suite looks there last.
- ``fhir``: the FHIR packages FR Core 2.2.0 depends on besides the ones homolog ships
  (``hl7.terminology.r4`` 7.1.0, ``hl7.fhir.uv.extensions.r4`` 5.2.0, ``ans.fr.terminologies``
  1.7.0), installed in the standard FHIR package cache ``~/.fhir/packages/<id>#<version>/package/``
  that the FHIR suite (and the HL7 tools) read.

Every download is pinned here (URL and SHA-256) and verified before anything is installed;
an installation appears at once (extracted beside its place, then renamed) or not at all.
Only this command downloads anything; a run never does.

The CDA material comes as a GitHub archive of a commit, whose compressed bytes GitHub does
not promise to keep identical, so its pin is the SHA-256 of its *content*: the sorted
``<sha256>  <path>`` lines of the files installed (:func:`content_digest`), which is the
same whatever the compression.

    MaterialsError          base: the material could not be fetched or installed
    ├── DownloadError       network, HTTP status, size limit, scheme not allowed
    ├── IntegrityError      SHA-256 differs from the pin, or no pin to check against
    └── ArchiveError        archive unreadable or unsafe (absolute path, "..", link)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO

__all__ = [
    "CDA",
    "FHIR_PACKAGES",
    "ArchiveError",
    "DownloadError",
    "IntegrityError",
    "MaterialsError",
    "Pin",
    "Unreachable",
    "content_digest",
    "fetch",
    "fetch_command",
    "installed_material",
    "main",
    "status",
]

MARKER = "homolog-material.json"
DEFAULT_TIMEOUT = 30.0
_CHUNK = 1 << 16


class MaterialsError(Exception):
    """Published material could not be fetched or installed."""


class DownloadError(MaterialsError):
    """The download failed (network, HTTP status, size limit, URL scheme)."""


class Unreachable(DownloadError):
    """The server could not be reached or did not answer in time."""


class IntegrityError(MaterialsError):
    """What was downloaded is not what the pin says, or there is no pin to check it against."""


class ArchiveError(MaterialsError):
    """The archive cannot be read or holds something that must not be installed."""


@dataclass(frozen=True)
class Pin:
    """One pinned download and where its content goes.

    ``sha256`` is the hash of the downloaded file; ``content_sha256`` the
    :func:`content_digest` of the files installed from it. At least one must be known,
    otherwise the download is refused. ``include``/``exclude`` select archive paths (after
    the archive's single top folder) by prefix.
    """

    key: str
    title: str
    url: str
    licence: str
    folder: str
    sha256: str | None = None
    content_sha256: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_bytes: int = 100 * 1024 * 1024
    # GitHub archives wrap the repository in one top folder (removed); FHIR packages do not.
    strip_top: bool = True
    note: str = ""

    @property
    def present(self) -> str:
        """The file whose presence says the pin is installed: homolog's marker, or for a
        FHIR package its manifest (a package another tool installed counts too)."""
        return MARKER if self.strip_top else "package/package.json"

    def selects(self, path: str) -> bool:
        """Whether an archive path (top folder removed) is installed."""
        inside = any(path == p.rstrip("/") or path.startswith(p) for p in self.include)
        return inside and not any(path.startswith(p) for p in self.exclude)


TESTCONTENUCDA_COMMIT = "7cd489b39368809df9bcf2cfef5e5d6354438a02"
CDA = Pin(
    key="ans-testcontenucda",
    title="ANS TestContenuCDA: CI-SIS schematrons, CDA XSD, value sets, example documents",
    # The commit of 2025-02-19 ("Publication de l'exemple CDA BIO-CR-BIO_2023.1"), six
    # commits after tag testContenuCDA20250218: the copy homolog's tests run against.
    url=f"https://codeload.github.com/ansforge/TestContenuCDA-3-0/tar.gz/{TESTCONTENUCDA_COMMIT}",
    licence="no licence stated by ANS for the schematrons and examples: not redistributed by homolog",
    folder=f"ans-testcontenucda-{TESTCONTENUCDA_COMMIT[:12]}",
    # 2,257 non-empty files; computed from the repository's blobs at the commit (git
    # cat-file) for the selection below, and equal to that of the copy in ../shared/data/cda
    # the tests use. The archive's own SHA-256 is not pinned (see the module docstring).
    content_sha256="ffd84583d09afdc6e04c4efe0079998681e9b5b7ccb8de0e15d7ae118397adf5",
    include=("ExemplesCDA/", "infrastructure/", "jeuxDeValeurs/", "schematrons/", "README.md"),
    # The ANS tool's jars, its sample reports, and the separate semantic-validation kit
    # (jars and terminology dumps of several MB) that no volet schematron includes.
    exclude=("schematrons/moteur/", "schematrons/rapports/", "schematrons/profils/terminologies/"),
    max_bytes=400 * 1024 * 1024,
    note="commit archive of github.com/ansforge/TestContenuCDA-3-0; verified by content SHA-256",
)


def _fhir_pin(package: str, version: str, size: int, sha256: str | None, note: str) -> Pin:
    return Pin(
        key=f"{package}#{version}",
        title=f"FHIR package {package} {version}",
        url=f"https://packages.fhir.org/{package}/{version}",
        licence="CC0-1.0" if package.startswith("hl7.") else "see the package's package.json",
        folder=f"{package}#{version}",
        sha256=sha256,
        include=("package/",),
        strip_top=False,
        max_bytes=max(size * 2, 20 * 1024 * 1024),
        note=note,
    )


# These SHA-256 were not computed here (the registry is not reachable from where this was
# written): they come from public records of the same files downloaded from
# packages.fhir.org, which give each file's size, SHA-256 and the registry's own SHA-1
# (dist.shasum) it matched; the extensions package's hash appears in two such records.
# A mismatch is refused, never installed.
FHIR_PACKAGES: tuple[Pin, ...] = (
    _fhir_pin(
        "hl7.terminology.r4",
        "7.1.0",
        4_709_916,
        "1cb0cd5601972925fcd04f2c175d9cc63a9ecd9346a91a6e735f1a865dc5fba1",
        "4,709,916 bytes; the registry's dist.shasum (SHA-1) is 19a681d8bd598b5c0da72e058616d78ae70940c0",
    ),
    _fhir_pin(
        "hl7.fhir.uv.extensions.r4",
        "5.2.0",
        1_302_452,
        "b406e75575f05676559d0759770c5939d023ee72fb2ef38e0b3259328487720a",
        "1,302,452 bytes; the registry's dist.shasum (SHA-1) is 2c7e21436dfa35ba7209696d63247538b851968a",
    ),
    # No SHA-256 of this package could be looked up when this pin was written (no access
    # to the registry from the machine, no published copy of its hash found): it is
    # refused until one is added here.
    _fhir_pin("ans.fr.terminologies", "1.7.0", 10_000_000, None, "SHA-256 not pinned yet"),
)
MATERIALS: Mapping[str, tuple[Pin, ...]] = {"cda": (CDA,), "fhir": FHIR_PACKAGES}


def fetch_command(name: str) -> str:
    """The one command that fetches material ``name`` (``cda`` or ``fhir``)."""
    return f"homolog materials fetch {name}"


def cache_root(environ: Mapping[str, str] | None = None) -> Path:
    """``$HOMOLOG_CACHE_DIR`` or ``~/.cache/homolog``."""
    env = os.environ if environ is None else environ
    root = env.get("HOMOLOG_CACHE_DIR")
    return Path(root).expanduser() if root else Path.home() / ".cache" / "homolog"


def fhir_cache() -> Path:
    """The standard FHIR package cache, ``~/.fhir/packages``."""
    return Path.home() / ".fhir" / "packages"


def installed_material(name: str, *, cache: Path | None = None) -> Path | None:
    """Folder of the installed ``cda`` material (its marker present), else None."""
    if name != "cda":
        raise ValueError(f"unknown material {name!r}; installed_material knows 'cda'")
    folder = (cache or cache_root()) / "materials" / CDA.folder
    return folder if (folder / MARKER).is_file() else None


def content_digest(files: Iterable[tuple[str, str]]) -> str:
    """SHA-256 of the sorted ``<sha256>  <path>`` lines of ``(path, sha256)`` pairs."""
    lines = sorted(f"{digest}  {path}\n" for path, digest in files)
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def _check_url(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise DownloadError(f"refusing {url}: only https (or http on 127.0.0.1) is fetched")


class _Redirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        _check_url(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _download(url: str, dest: IO[bytes], *, timeout: float, max_bytes: int) -> str:
    """Stream ``url`` into ``dest``; return the SHA-256 of the bytes."""
    _check_url(url)
    opener = urllib.request.build_opener(_Redirects)
    request = urllib.request.Request(url, headers={"User-Agent": "homolog-materials"})
    digest = hashlib.sha256()
    total = 0
    try:
        with opener.open(request, timeout=timeout) as resp:
            while chunk := resp.read(_CHUNK):
                total += len(chunk)
                if total > max_bytes:
                    raise DownloadError(f"{url}: larger than {max_bytes} bytes, stopped")
                digest.update(chunk)
                dest.write(chunk)
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Unreachable(f"{url}: {reason}") from exc
    return digest.hexdigest()


def _members(archive: Path, pin: Pin) -> Iterator[tuple[str, tarfile.TarFile, tarfile.TarInfo]]:
    """Selected regular files of a .tar.gz, as (path without the top folder, tar, member)."""
    try:
        tar = tarfile.open(archive, "r:*")  # noqa: SIM115 - closed by the `with` below
    except (OSError, tarfile.TarError) as exc:
        raise ArchiveError(f"{pin.url}: not a readable tar archive ({exc})") from exc
    with tar:
        top: str | None = None
        try:
            for member in tar:
                name = PurePosixPath(member.name)
                if name.is_absolute() or ".." in name.parts:
                    raise ArchiveError(f"{pin.url}: unsafe path {member.name!r} in the archive")
                if member.name == "pax_global_header" or member.type == tarfile.XGLTYPE:
                    continue
                parts = name.parts
                if pin.strip_top:
                    if top is None:
                        top = parts[0]
                    if parts[0] != top:
                        raise ArchiveError(f"{pin.url}: more than one top folder ({top!r}, {parts[0]!r})")
                    parts = parts[1:]
                rel = "/".join(parts)
                if not rel or not pin.selects(rel) or member.isdir():
                    continue
                if not member.isfile():
                    raise ArchiveError(f"{pin.url}: {rel} is a link or special file; refusing to install it")
                yield rel, tar, member
        except tarfile.TarError as exc:
            raise ArchiveError(f"{pin.url}: archive is damaged ({exc})") from exc


def _install_files(archive: Path, pin: Pin, staging: Path) -> str:
    """Extract the selected files into ``staging``; return their :func:`content_digest`."""
    hashes: list[tuple[str, str]] = []
    total = 0
    for rel, tar, member in _members(archive, pin):
        total += member.size
        if total > pin.max_bytes:
            raise ArchiveError(f"{pin.url}: selected files exceed {pin.max_bytes} bytes")
        source = tar.extractfile(member)
        if source is None:
            continue
        data = source.read()
        # Empty files carry no content (the ANS material has a few); they are not installed.
        if not data:
            continue
        target = staging / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        hashes.append((rel, hashlib.sha256(data).hexdigest()))
    if not hashes:
        raise ArchiveError(f"{pin.url}: none of {list(pin.include)} in the archive")
    return content_digest(hashes)


@dataclass
class Outcome:
    """What :func:`fetch` did for one pin."""

    pin: Pin
    status: str  # "installed" | "present" | "failed"
    path: Path
    message: str = ""


def _marker(pin: Pin, file_sha256: str, content: str) -> str:
    return json.dumps(
        {
            "key": pin.key,
            "url": pin.url,
            "sha256": file_sha256,
            "content_sha256": content,
            "licence": pin.licence,
            "installed": datetime.now(UTC).isoformat(timespec="seconds"),
        },
        indent=2,
    )


def fetch_pin(pin: Pin, destination: Path, *, timeout: float = DEFAULT_TIMEOUT) -> Outcome:
    """Download, verify and install one pin into ``destination/pin.folder`` (atomic)."""
    final = destination / pin.folder
    if (final / pin.present).is_file():
        return Outcome(pin, "present", final)
    if final.exists():
        raise MaterialsError(f"{final} exists but is not a complete installation of {pin.key}: remove it first")
    if pin.sha256 is None and pin.content_sha256 is None:
        raise IntegrityError(
            f"{pin.key}: no SHA-256 is pinned in homolog for {pin.url}, so it is not installed."
            f" Download it yourself, check it, and extract its package/ folder to {final}/package/"
        )
    # Downloaded outside the destination, which is created only for something verified.
    with tempfile.NamedTemporaryFile(prefix="homolog-download-") as raw:
        file_sha256 = _download(pin.url, raw, timeout=timeout, max_bytes=pin.max_bytes)
        raw.flush()
        if pin.sha256 is not None and file_sha256 != pin.sha256:
            raise IntegrityError(f"{pin.url}: SHA-256 {file_sha256}, expected {pin.sha256}; nothing installed")
        destination.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{pin.folder}.", dir=destination))
        try:
            content = _install_files(Path(raw.name), pin, staging)
            if pin.content_sha256 is not None and content != pin.content_sha256:
                raise IntegrityError(
                    f"{pin.url}: content SHA-256 {content}, expected {pin.content_sha256}; nothing installed"
                )
            (staging / MARKER).write_text(_marker(pin, file_sha256, content), encoding="utf-8")
            try:
                os.replace(staging, final)
            except OSError:
                if (final / pin.present).is_file():  # another process installed it meanwhile
                    return Outcome(pin, "present", final)
                raise
            return Outcome(pin, "installed", final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _destination(name: str, *, cache: Path | None, fhir_dir: Path | None) -> Path:
    if name == "cda":
        return (cache or cache_root()) / "materials"
    return fhir_dir or fhir_cache()


def fetch(
    names: Sequence[str],
    *,
    cache: Path | None = None,
    fhir_dir: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    urls: Mapping[str, str] | None = None,
    pins: Mapping[str, Sequence[Pin]] | None = None,
    log: Callable[[str], None] = print,
) -> list[Outcome]:
    """Fetch every pin of the named materials; a failure of one does not stop the others,
    but a server found unreachable is not tried again (without a network, set-up waits at
    most ``timeout`` per server).

    ``urls`` replaces pinned URLs by pin key (mirrors, tests); the SHA-256 pins stay.
    """
    table = MATERIALS if pins is None else pins
    outcomes: list[Outcome] = []
    unreachable: dict[str, str] = {}
    for name in names:
        if name not in table:
            raise MaterialsError(f"unknown material {name!r}; known: {', '.join(sorted(table))}")
        destination = _destination(name, cache=cache, fhir_dir=fhir_dir)
        for pin in table[name]:
            if urls and pin.key in urls:
                pin = replace(pin, url=urls[pin.key])
            host = urllib.parse.urlsplit(pin.url).netloc
            try:
                pinned = pin.sha256 is not None or pin.content_sha256 is not None
                if host in unreachable and pinned and not (destination / pin.folder / pin.present).is_file():
                    raise Unreachable(f"{pin.url}: not tried, {host} was unreachable ({unreachable[host]})")
                outcome = fetch_pin(pin, destination, timeout=timeout)
            except Unreachable as exc:
                unreachable.setdefault(host, str(exc).split(": ", 1)[-1])
                outcome = Outcome(pin, "failed", destination / pin.folder, str(exc))
            except MaterialsError as exc:
                outcome = Outcome(pin, "failed", destination / pin.folder, str(exc))
            outcomes.append(outcome)
            log(_describe(outcome))
    return outcomes


def _describe(outcome: Outcome) -> str:
    pin = outcome.pin
    if outcome.status == "failed":
        return f"{pin.key}: not installed: {outcome.message}"
    verb = "installed in" if outcome.status == "installed" else "already in"
    return f"{pin.key}: {verb} {outcome.path}"


def status(
    names: Sequence[str] = ("cda", "fhir"), *, cache: Path | None = None, fhir_dir: Path | None = None
) -> list[tuple[Pin, Path, bool]]:
    """(pin, install folder, installed?) for every pin of the named materials."""
    rows = []
    for name in names:
        destination = _destination(name, cache=cache, fhir_dir=fhir_dir)
        for pin in MATERIALS[name]:
            folder = destination / pin.folder
            rows.append((pin, folder, (folder / pin.present).is_file()))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """``materials fetch cda|fhir ...`` and ``materials status``: 0 done, 1 usage, 2 not all fetched."""
    parser = argparse.ArgumentParser(prog="homolog materials", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    fetch_p = sub.add_parser("fetch", help="download, verify and install pinned material")
    fetch_p.add_argument("names", nargs="+", choices=sorted(MATERIALS), metavar="cda|fhir")
    fetch_p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per network operation")
    status_p = sub.add_parser("status", help="what is pinned and what is installed")
    for p in (fetch_p, status_p):
        p.add_argument("--cache", type=Path, help="homolog cache (default $HOMOLOG_CACHE_DIR or ~/.cache/homolog)")
        p.add_argument("--fhir-cache", type=Path, help="FHIR package cache (default ~/.fhir/packages)")
    args = parser.parse_args(argv)
    if args.command == "status":
        for pin, folder, present in status(cache=args.cache, fhir_dir=args.fhir_cache):
            state = "installed" if present else f"missing ({fetch_command('cda' if pin is CDA else 'fhir')})"
            print(f"{pin.key}: {state}\n  {pin.title}\n  {folder}\n  from {pin.url}")
            print(f"  licence: {pin.licence}\n  pin: {pin.note}")
        return 0
    outcomes = fetch(args.names, cache=args.cache, fhir_dir=args.fhir_cache, timeout=args.timeout)
    return 0 if all(o.status != "failed" for o in outcomes) else 2


if __name__ == "__main__":
    sys.exit(main())
