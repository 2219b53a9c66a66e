"""``homolog materials fetch``: pinned downloads from a local HTTP server, verified, installed.

Never the Internet: every URL is replaced by one on 127.0.0.1. The CDA case serves an
archive built from ``../shared/data/cda`` the way GitHub wraps a commit, and checks it
against the real pin.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import socket
import tarfile
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from homolog import fetch_command, installed_material
from homolog.materials import (
    CDA,
    FHIR_PACKAGES,
    MARKER,
    ArchiveError,
    DownloadError,
    IntegrityError,
    MaterialsError,
    Pin,
    content_digest,
    fetch,
    fetch_pin,
    main,
)


class Server:
    """A 127.0.0.1 HTTP server serving in-memory files by path; records the paths asked."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.redirects: dict[str, str] = {}
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                if self.path in outer.redirects:
                    self.send_response(302)
                    self.send_header("Location", outer.redirects[self.path])
                    self.end_headers()
                    return
                body = outer.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Silenced."""

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()
    srv.thread.join(timeout=5)


def _tgz(members: dict[str, bytes | None], *, symlinks: dict[str, str] | None = None) -> bytes:
    """A .tar.gz of ``members`` (None: a folder) and symbolic links."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        for name, target in (symlinks or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return buf.getvalue()


TOP = "TestContenuCDA-3-0-0123456789abcdef/"
SMALL_CDA = {
    TOP: None,
    f"{TOP}README.md": b"# TestContenuCDA\n",
    f"{TOP}schematrons/CI-SIS_X_2024.01.sch": b"<schema/>",
    f"{TOP}schematrons/moteur/saxon.jar": b"jar",  # excluded by the pin
    f"{TOP}jeuxDeValeurs/empty.xml": b"",  # empty: not installed
    f"{TOP}infrastructure/cda/CDA_extended.xsd": b"<xs:schema/>",
    f"{TOP}FeuilleDeStyle/cda.xsl": b"<xsl/>",  # outside the selection
}


def _small_pin(server: Server, **changes: object) -> Pin:
    installed = {
        "README.md": b"# TestContenuCDA\n",
        "schematrons/CI-SIS_X_2024.01.sch": b"<schema/>",
        "infrastructure/cda/CDA_extended.xsd": b"<xs:schema/>",
    }
    digest = content_digest((p, hashlib.sha256(d).hexdigest()) for p, d in installed.items())
    return replace(CDA, url=server.url("/cda.tgz"), content_sha256=digest, **changes)  # type: ignore[arg-type]


def test_cda_material_is_verified_by_content_and_installed_atomically(server: Server, tmp_path: Path) -> None:
    server.files["/cda.tgz"] = _tgz(SMALL_CDA)
    pin = _small_pin(server)
    outcome = fetch_pin(pin, tmp_path / "materials")
    assert outcome.status == "installed"
    root = tmp_path / "materials" / CDA.folder
    assert outcome.path == root
    installed = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert installed == [
        "README.md",
        MARKER,
        "infrastructure/cda/CDA_extended.xsd",
        "schematrons/CI-SIS_X_2024.01.sch",
    ]
    marker = json.loads((root / MARKER).read_text("utf-8"))
    assert marker["content_sha256"] == pin.content_sha256 and marker["url"] == pin.url
    assert [p.name for p in (tmp_path / "materials").iterdir()] == [CDA.folder]  # no staging left
    # Installed once: a second fetch does not download.
    assert fetch_pin(pin, tmp_path / "materials").status == "present"
    assert server.requests == ["/cda.tgz"]


def test_tampered_or_unsafe_archives_install_nothing(server: Server, tmp_path: Path) -> None:
    dest = tmp_path / "materials"
    server.files["/cda.tgz"] = _tgz({**SMALL_CDA, f"{TOP}schematrons/CI-SIS_X_2024.01.sch": b"<schema>changed"})
    with pytest.raises(IntegrityError, match=r"content SHA-256 \w+, expected"):
        fetch_pin(_small_pin(server), dest)
    assert list(dest.iterdir()) == []
    server.files["/cda.tgz"] = _tgz({**SMALL_CDA, f"{TOP}../escape.txt": b"x"})
    with pytest.raises(ArchiveError, match="unsafe path"):
        fetch_pin(_small_pin(server), dest)
    server.files["/cda.tgz"] = _tgz(SMALL_CDA, symlinks={f"{TOP}schematrons/link.sch": "/etc/passwd"})
    with pytest.raises(ArchiveError, match="link or special file"):
        fetch_pin(_small_pin(server), dest)
    server.files["/cda.tgz"] = _tgz({f"{TOP}README.md": b"a", "other-top/README.md": b"b"})
    with pytest.raises(ArchiveError, match="more than one top folder"):
        fetch_pin(_small_pin(server), dest)
    server.files["/cda.tgz"] = b"not a tar archive"
    with pytest.raises(ArchiveError, match="not a readable tar"):
        fetch_pin(_small_pin(server), dest)
    server.files["/cda.tgz"] = _tgz(SMALL_CDA)
    with pytest.raises(DownloadError, match="larger than 100 bytes"):
        fetch_pin(_small_pin(server, max_bytes=100), dest)
    assert list(dest.iterdir()) == []
    assert not (tmp_path / "outside").exists()


def test_network_failures_are_download_errors(server: Server, tmp_path: Path) -> None:
    dest = tmp_path / "materials"
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch_pin(replace(_small_pin(server), url=server.url("/absent.tgz")), dest)
    # Nothing listens on the port any more once the server socket is closed.
    closed = Server()
    url = closed.url("/cda.tgz")
    closed.httpd.server_close()
    with pytest.raises(DownloadError, match="refused"):
        fetch_pin(replace(_small_pin(server), url=url), dest, timeout=2)
    with pytest.raises(DownloadError, match="only https"):
        fetch_pin(replace(_small_pin(server), url="http://example.org/cda.tgz"), dest)
    server.redirects["/moved.tgz"] = "http://example.org/cda.tgz"
    with pytest.raises(DownloadError, match="only https"):
        fetch_pin(replace(_small_pin(server), url=server.url("/moved.tgz")), dest)
    assert not dest.exists()  # a failed download creates nothing


def test_a_silent_server_is_tried_once_then_skipped(tmp_path: Path) -> None:
    """Without a network, set-up waits one timeout per server, not one per pin."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(conn)  # held open, never answered

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    pins = [replace(p, url=f"{base}/{p.folder}.tgz", sha256="0" * 64) for p in FHIR_PACKAGES[:2]]
    try:
        outcomes = fetch(["fhir"], fhir_dir=tmp_path, timeout=0.5, pins={"fhir": pins}, log=lambda _m: None)
    finally:
        listener.close()
        for conn in accepted:
            conn.close()
        thread.join(timeout=5)
    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert "timed out" in outcomes[0].message
    assert "not tried" in outcomes[1].message
    assert len(accepted) == 1


def test_packages_another_tool_installed_count_and_half_installs_are_named(server: Server, tmp_path: Path) -> None:
    pin = replace(FHIR_PACKAGES[0], url=server.url("/tho.tgz"))
    manifest = tmp_path / pin.folder / "package" / "package.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text('{"name": "hl7.terminology.r4", "version": "7.1.0"}', encoding="utf-8")
    assert fetch_pin(pin, tmp_path).status == "present"
    assert server.requests == []
    manifest.unlink()
    with pytest.raises(MaterialsError, match="not a complete installation"):
        fetch_pin(pin, tmp_path)


def _fhir_package(name: str, version: str) -> bytes:
    manifest = {"name": name, "version": version, "fhirVersions": ["4.0.1"], "dependencies": {}}
    value_set = {"resourceType": "ValueSet", "url": f"http://example.org/{name}/vs", "status": "active"}
    return _tgz(
        {
            "package/package.json": json.dumps(manifest).encode(),
            "package/ValueSet-vs.json": json.dumps(value_set).encode(),
            "other/ignored.txt": b"not installed",
        }
    )


def test_fhir_packages_land_in_the_standard_cache_the_fhir_suite_reads(server: Server, tmp_path: Path) -> None:
    from homolog.suites.fhir.packages import find_package

    tgz = _fhir_package("hl7.terminology.r4", "7.1.0")
    server.files["/tho.tgz"] = tgz
    pin = replace(FHIR_PACKAGES[0], url=server.url("/tho.tgz"), sha256=hashlib.sha256(tgz).hexdigest())
    cache = tmp_path / "fhir-packages"
    outcomes = fetch(["fhir"], fhir_dir=cache, pins={"fhir": [pin]}, log=lambda _m: None)
    assert [o.status for o in outcomes] == ["installed"]
    folder = cache / "hl7.terminology.r4#7.1.0"
    assert (folder / "package" / "package.json").is_file()
    assert not (folder / "other").exists()
    package = find_package("hl7.terminology.r4", "7.1.0", [cache])
    assert package.source == folder and [r["resourceType"] for r in package.resources] == ["ValueSet"]
    # A different file than the pinned one is refused.
    server.files["/tho.tgz"] = _fhir_package("hl7.terminology.r4", "7.1.1")
    other = replace(pin, folder="other#1")
    with pytest.raises(IntegrityError, match=f"expected {pin.sha256}"):
        fetch_pin(other, cache)
    assert not (cache / "other#1").exists()


def test_a_package_without_pinned_hash_is_refused_without_download(server: Server, tmp_path: Path) -> None:
    unpinned = [p for p in FHIR_PACKAGES if p.sha256 is None]
    assert [p.key for p in unpinned] == ["ans.fr.terminologies#1.7.0"]
    messages: list[str] = []
    outcomes = fetch(
        ["fhir"],
        fhir_dir=tmp_path,
        pins={"fhir": [replace(unpinned[0], url=server.url("/ans.tgz"))]},
        log=messages.append,
    )
    assert [o.status for o in outcomes] == ["failed"]
    assert "no SHA-256 is pinned" in messages[0] and "ans.fr.terminologies#1.7.0/package" in messages[0]
    assert server.requests == []


def test_every_pin_has_an_https_url_and_a_hash_or_says_why_not() -> None:
    for pin in (CDA, *FHIR_PACKAGES):
        assert pin.url.startswith("https://")
        assert pin.sha256 or pin.content_sha256 or "not pinned" in pin.note
    assert fetch_command("cda") == "homolog materials fetch cda"


def _github_like_archive(cda_root: Path) -> bytes:
    """The ANS copy in ../shared/data/cda as GitHub serves a commit: one top folder, plus
    paths the pin leaves out (the ANS tool, stylesheets) and an empty file."""
    buf = io.BytesIO()
    top = f"TestContenuCDA-3-0-{CDA.url.rsplit('/', 1)[1]}"
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as tar:
        tar.add(cda_root, arcname=top)
        for name, data in {
            "schematrons/moteur/saxon9he.jar": b"jar",
            "FeuilleDeStyle/cda.xsl": b"<xsl/>",
            "jeuxDeValeurs/MediaType.xml": b"",
        }.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.slow
def test_real_cda_pin_against_the_shared_copy(
    server: Server, shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pinned content digest is that of the ANS copy the tests use; fetched, it is found."""
    from homolog.suites.documents.material import AnsMaterial

    cache = tmp_path / "cache"
    monkeypatch.setenv("HOMOLOG_CACHE_DIR", str(cache))
    monkeypatch.delenv("HOMOLOG_CDA_DIR", raising=False)
    assert installed_material("cda") is None
    server.files["/cda.tgz"] = _github_like_archive(shared_data / "cda")
    outcomes = fetch(["cda"], urls={CDA.key: server.url("/cda.tgz")}, log=lambda _m: None)
    assert [o.status for o in outcomes] == ["installed"], outcomes[0].message
    root = installed_material("cda")
    assert root == cache / "materials" / CDA.folder
    assert not (root / "schematrons" / "moteur").exists()
    assert not (root / "jeuxDeValeurs" / "MediaType.xml").exists()
    material = AnsMaterial.located()
    assert material.schematron_dir == root / "schematrons"
    assert (material.schematron_dir / "CI-SIS_LDL-SES_2022.01.sch").is_file()


def test_main_status_and_fetch_exit_codes(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache, fhir_cache = tmp_path / "cache", tmp_path / "fhir"
    assert main(["status", "--cache", str(cache), "--fhir-cache", str(fhir_cache)]) == 0
    out = capsys.readouterr().out
    assert "ans-testcontenucda: missing (homolog materials fetch cda)" in out
    assert "hl7.terminology.r4#7.1.0: missing (homolog materials fetch fhir)" in out
    assert "licence: CC0-1.0" in out
    # Every pinned URL unreachable (nothing on 127.0.0.1:<closed port>): exit 2, fast.
    closed = Server()
    base = closed.url("")
    closed.httpd.server_close()
    from homolog import materials

    monkeypatch.setattr(materials, "CDA", replace(CDA, url=f"{base}/cda.tgz"))
    monkeypatch.setattr(materials, "MATERIALS", {"cda": (materials.CDA,), "fhir": ()})
    assert main(["fetch", "cda", "--cache", str(cache), "--timeout", "2"]) == 2
    assert "ans-testcontenucda: not installed:" in capsys.readouterr().out
    assert main(["fetch", "fhir", "--fhir-cache", str(fhir_cache)]) == 0
    with pytest.raises(SystemExit) as usage:
        main(["fetch", "nothing"])
    assert usage.value.code == 2


# --------------------------------------------------------------------------- through the `homolog` command


def test_homolog_materials_fetches_from_pins_and_reports_status(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`homolog materials fetch fhir` installs what the pins say; `status` then shows it; exit codes."""
    from homolog import materials
    from homolog.cli import main as homolog

    tgz = _fhir_package("hl7.terminology.r4", "7.1.0")
    server.files["/tho.tgz"] = tgz
    pin = replace(FHIR_PACKAGES[0], url=server.url("/tho.tgz"), sha256=hashlib.sha256(tgz).hexdigest())
    monkeypatch.setattr(materials, "MATERIALS", {"cda": (materials.CDA,), "fhir": (pin,)})
    cache, fhir_cache = tmp_path / "cache", tmp_path / "fhir"
    both = ["--cache", str(cache), "--fhir-cache", str(fhir_cache)]
    assert homolog(["materials", "status", *both]) == 0
    assert "hl7.terminology.r4#7.1.0: missing (homolog materials fetch fhir)" in capsys.readouterr().out
    assert homolog(["materials", "fetch", "fhir", *both, "--timeout", "5"]) == 0
    assert "hl7.terminology.r4#7.1.0: installed in" in capsys.readouterr().out
    assert (fhir_cache / "hl7.terminology.r4#7.1.0" / "package" / "package.json").is_file()
    assert homolog(["materials", "status", *both]) == 0
    assert "hl7.terminology.r4#7.1.0: installed" in capsys.readouterr().out
    # A download that does not match its pin: nothing installed, exit 2.
    server.files["/tho.tgz"] = _fhir_package("hl7.terminology.r4", "7.1.1")
    monkeypatch.setattr(materials, "MATERIALS", {"cda": (), "fhir": (replace(pin, folder="other#1"),)})
    assert homolog(["materials", "fetch", "fhir", *both]) == 2
    assert "expected " + str(pin.sha256) in capsys.readouterr().out
    assert not (fhir_cache / "other#1").exists()
    # Usage mistakes are the usual exit 1 of `homolog`; --help is 0.
    assert homolog(["materials", "fetch", "nothing"]) == 1
    assert homolog(["materials"]) == 1
    assert homolog(["materials", "--help"]) == 0
    assert "fetch" in capsys.readouterr().out


def test_homolog_materials_without_network_ends_quickly_with_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `setup.sh` meets on a machine without network: every server unreachable, exit 2, nothing installed."""
    from homolog import materials
    from homolog.cli import main as homolog

    closed = Server()
    base = closed.url("")
    closed.httpd.server_close()
    pins = {
        "cda": (replace(CDA, url=f"{base}/cda.tgz"),),
        "fhir": tuple(replace(p, url=f"{base}/{p.key}") for p in FHIR_PACKAGES),
    }
    monkeypatch.setattr(materials, "MATERIALS", pins)
    args = ["--cache", str(tmp_path / "c"), "--fhir-cache", str(tmp_path / "f"), "--timeout", "3"]
    assert homolog(["materials", "fetch", "cda", "fhir", *args]) == 2
    out = capsys.readouterr().out
    assert sum(": not installed:" in line for line in out.splitlines()) == 1 + len(FHIR_PACKAGES)
    assert "not tried" in out  # the second package of an unreachable server is not tried again
    assert not (tmp_path / "c" / "materials").exists() or not any((tmp_path / "c" / "materials").iterdir())
