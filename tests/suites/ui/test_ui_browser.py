"""Browser plumbing: lazy start, TLS trust decisions, remote browser, trace sanitising."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from homolog import Evidence, load_target
from homolog.suites.ui.browser import (
    CHROMIUM_CANDIDATES,
    CHROMIUM_PATH,
    BrowserManager,
    installed_chromium,
    target_tls_trust,
)
from homolog.suites.ui.session import UiSession
from homolog.suites.ui.tracing import sanitize_trace
from homolog.testing import run_check


def other_ca(path: Path) -> Path:
    """A CA certificate that signed nothing the SUT presents."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "unrelated test CA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def retarget(sut: Any, tmp_path: Path, tls: dict[str, Any]) -> Path:
    doc = yaml.safe_load(Path(sut.target_path).read_text(encoding="utf-8"))
    doc["tls"] = tls
    path = tmp_path / "target.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def test_no_browser_starts_until_a_page_is_used(clean_sut: Any, tmp_path: Path) -> None:
    manager = BrowserManager()
    ui = UiSession(manager, load_target(clean_sut.target_path), Evidence(tmp_path, "x"))
    assert ui.url("patient").startswith(clean_sut.base_https + "/patients/")
    ui.close(failed=False)
    assert manager.launches == 0 and not ui.started


def test_target_ca_is_verified_and_pinned(clean_sut: Any) -> None:
    target = load_target(clean_sut.target_path)
    trust = target_tls_trust(target, target.base_urls.values())
    assert not trust.ignore_https_errors
    assert len(trust.spki_pins) == 1


def test_certificate_from_another_ca_is_not_pinned(clean_sut: Any, tmp_path: Path) -> None:
    ca = other_ca(tmp_path / "o.pem")
    target = load_target(retarget(clean_sut, tmp_path, {"ca_file": str(ca)}))
    trust = target_tls_trust(target, target.base_urls.values())
    assert not trust.spki_pins and not trust.ignore_https_errors
    assert "TLS verification of 127.0.0.1" in trust.failures[0]


def test_verify_false_is_the_only_way_to_ignore_certificate_errors(clean_sut: Any, tmp_path: Path) -> None:
    target = load_target(retarget(clean_sut, tmp_path, {"verify": False}))
    trust = target_tls_trust(target, target.base_urls.values())
    assert trust.ignore_https_errors and not trust.spki_pins


@pytest.mark.browser
def test_ui_check_errors_when_the_ca_does_not_match(clean_sut: Any, tmp_path: Path) -> None:
    target = retarget(clean_sut, tmp_path, {"ca_file": str(other_ca(tmp_path / "o.pem"))})
    res = run_check("ui.keyboard.no_trap", target, tmp_path=tmp_path, params={"pages": ["login"]})
    assert res.verdict == "error"
    assert "ERR_CERT_AUTHORITY_INVALID" in (res.message or "")
    assert "TLS verification" in (res.message or "")


@pytest.mark.browser
def test_remote_browser_server(a11y_target: Path, tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "playwright", "run-server", "--host", "127.0.0.1", "--port", "0", "--unsafe"],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # "Listening on ws://127.0.0.1:PORT/"
        ws = line.strip().rsplit(" ", 1)[-1]
        assert ws.startswith("ws://127.0.0.1:"), line
        env = {"HOMOLOG_BROWSER_WS": ws, "HOMOLOG_BROWSER_WS_EXECUTABLE": "/usr/bin/chromium"}
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            bad = run_check(
                "ui.keyboard.no_trap", a11y_target, tmp_path=tmp_path, params={"pages": ["kb_trap"], "login": False}
            )
            good = run_check(
                "ui.keyboard.no_trap", a11y_target, tmp_path=tmp_path, params={"pages": ["kb_trap_ok"], "login": False}
            )
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        assert (bad.verdict, good.verdict) == ("failed", "passed"), (bad.message, good.message)
    finally:
        _stop_group(proc)
    assert not _group_alive(proc.pid), "the browser server outlived the test"


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _stop_group(proc: subprocess.Popen[str]) -> None:
    """Stop the server's whole process group. `python -m playwright` exits on SIGTERM; the
    Node server it started does not once it has served a browser (it was found running after
    every suite), so the group is waited for, not the first process, and killed after 3 s."""
    for sig, grace in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            proc.poll()  # reap the first process: a zombie still counts as the group's
            if not _group_alive(proc.pid):
                break
            time.sleep(0.1)
        else:
            continue
        break
    proc.wait(timeout=5)
    if proc.stdout is not None:
        proc.stdout.close()


def test_trace_sanitising_removes_secrets_and_credential_headers() -> None:
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as z:
        z.writestr("trace.trace", '{"method":"fill","params":{"value":"s3cr3t-pass"}}')
        z.writestr(
            "trace.network",
            '{"headers":[{"name":"Cookie","value":"sid=abcdef"}],"postData":"password=s3cr3t-pass"}',
        )
        z.writestr("resources/blob.bin", b"\x00\x01s3cr3t-pass")
        z.writestr("resources/keep.png", b"\x89PNG")
    clean = zipfile.ZipFile(io.BytesIO(sanitize_trace(raw.getvalue(), ["s3cr3t-pass"])))
    names = clean.namelist()
    assert "resources/blob.bin" not in names and "resources/keep.png" in names
    text = b"".join(clean.read(n) for n in names)
    assert b"s3cr3t-pass" not in text and b"sid=abcdef" not in text
    assert b"[redacted]" in clean.read("trace.trace")


def test_trace_sanitising_removes_tokens_the_browser_alone_received() -> None:
    # a single-page application's own login, in the browser: the harness never knew its
    # tokens, which a captured response body of the login holds
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxLCJleHAiOjE3OTYzMzQxNzh9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as z:
        z.writestr("resources/0a1b2c.json", json.dumps({"access": jwt, "accessToken": "opaque-access-0001"}))
        z.writestr("trace.network", json.dumps({"request": {"postData": {"text": "Bearer " + jwt}}}))
    clean = zipfile.ZipFile(io.BytesIO(sanitize_trace(raw.getvalue(), [])))
    text = b"".join(clean.read(n) for n in clean.namelist())
    assert jwt.encode() not in text and b"opaque-access-0001" not in text
    assert b'"accessToken": "' in text  # the field stays, its value is gone


def test_trace_sanitising_removes_opaque_tokens_where_the_target_says_they_are() -> None:
    # an opaque token under a name no list holds (simplejwt's `access`, a custom header):
    # the target's JSON login declares where its tokens are answered
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as z:
        z.writestr("resources/0a1b2c.json", json.dumps({"access": "opaque-access-0007", "user": "alice"}))
        event = {"response": {"headers": [{"name": "X-Auth-Token", "value": "opaque-header-0007"}]}}
        event["request"] = {"postData": {"text": json.dumps({"refresh": "opaque-refresh-0007"})}}
        z.writestr("trace.network", json.dumps(event))
    fields = ["data.access", "header:X-Auth-Token", "refresh"]
    clean = zipfile.ZipFile(io.BytesIO(sanitize_trace(raw.getvalue(), [], fields=fields)))
    text = b"".join(clean.read(n) for n in clean.namelist())
    assert b"opaque-" not in text, text
    assert b'"user": "alice"' in text and b'"access": "[redacted]"' in text  # the rest is kept
    # without the declaration the opaque access token stays: the field is what finds it
    kept = zipfile.ZipFile(io.BytesIO(sanitize_trace(raw.getvalue(), [])))
    assert b"opaque-access-0007" in kept.read("resources/0a1b2c.json")


def test_trace_sanitising_drops_the_injected_library_source() -> None:
    source = 'var axe = {version: "4.14.1", note: "é"};' * 100
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as z:
        z.writestr("trace.trace", json.dumps({"method": "addScriptTag", "content": source}, ensure_ascii=False))
    data = sanitize_trace(raw.getvalue(), [], omit={source: "axe-core source"})
    text = zipfile.ZipFile(io.BytesIO(data)).read("trace.trace").decode()
    assert "[omitted: axe-core source]" in text and "var axe" not in text


def test_our_disabled_features_keep_the_playwright_drivers() -> None:
    # Chromium keeps the last --disable-features: ours replaces the driver's, so it must list them
    import re

    import playwright

    from homolog.suites.ui.browser import CHROMIUM_ARGS, PLAYWRIGHT_DISABLED_FEATURES

    driver = Path(playwright.__file__).parent / "driver" / "package" / "lib"
    sources = (p.read_text("utf-8", "replace") for p in driver.rglob("*.js"))
    lists = [m.group(1) for text in sources for m in re.finditer(r"disabledFeatures = \[(.*?)\]", text, re.S)]
    assert lists, f"no disabledFeatures list found in the Playwright driver under {driver}"
    theirs = set(re.findall(r'"([A-Za-z0-9]+)"', lists[0]))
    assert theirs and theirs <= set(PLAYWRIGHT_DISABLED_FEATURES)
    ours = [a for a in CHROMIUM_ARGS if a.startswith("--disable-features=")]
    assert len(ours) == 1 and theirs <= set(ours[0].split("=", 1)[1].split(","))


def test_the_first_installed_chromium_is_launched(tmp_path: Path) -> None:
    shell, full = tmp_path / "chromium-headless-shell", tmp_path / "chromium"
    candidates = (str(shell), str(full))
    assert installed_chromium(candidates) == str(full)  # neither installed: the last, named in errors
    full.write_text("#!/bin/sh\n")
    full.chmod(0o755)
    assert installed_chromium(candidates) == str(full)
    shell.write_text("#!/bin/sh\n")
    assert installed_chromium(candidates) == str(full)  # not executable: not a browser
    shell.chmod(0o755)
    assert installed_chromium(candidates) == str(shell)


def test_set_up_installs_the_headless_shell_ui_checks_launch() -> None:
    # `setup.sh` installs it; without it every UI check would pay the full browser's CPU
    assert CHROMIUM_PATH == CHROMIUM_CANDIDATES[0] == "/usr/bin/chromium-headless-shell"


def test_a_new_context_opens_no_browser_ui_page(clean_sut: Any, tmp_path: Path) -> None:
    # The full browser (`--chromium /usr/bin/chromium`): the omnibox popup a new window
    # preloads as a WebUI page (a renderer of its own) is off. The headless shell has no UI.
    target = load_target(clean_sut.target_path)
    manager = BrowserManager(executable_path="/usr/bin/chromium")
    try:
        ui = UiSession(manager, target, Evidence(tmp_path, "ui"), trace=False)
        ui.goto("login")
        cdp = ui.context.browser.new_browser_cdp_session()
        kinds = sorted((t["type"], t["url"]) for t in cdp.send("Target.getTargets")["targetInfos"])
        assert [k for k in kinds if k[0] == "page"], kinds  # the check's page is there
        assert not [k for k in kinds if k[0] == "browser_ui"], kinds
        ui.close(failed=False)
    finally:
        manager.close()
