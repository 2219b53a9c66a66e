"""Issue 14: a hostile system under test cannot hang, mislead or rob a run.

One test per attack: the verdict it must get, a run that ends (pytest-timeout guards,
no timed assertion), and no secret value anywhere in the run directory (file contents,
file names, the PDF's text). Each test adds its row to the table printed at the end.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hostile_runs import PASSWORD, ROWS, TOKEN, HostileRun, leaks, referential_doc, requirement, target_doc

pytestmark = pytest.mark.slow

HSTS = [requirement("H-HSTS", "security.headers.hsts")]
METADATA = [requirement("H-META", "fhir.metadata.capability_statement")]
DISCLOSURE = [requirement("H-ERR", "security.headers.error_disclosure", {"target_error_paths": False})]
DISCLOSURE_LOGGED_IN = [requirement("H-ERR", "security.headers.error_disclosure")]
ERROR_PATHS = {"security": {"error_paths": ["/nothing-here"]}}
PAGING = [requirement("H-PAGE", "fhir.search.paging")]
CORS = [requirement("H-CORS", "security.headers.cors")]
WEB_PROBES = {
    "target_error_paths": False,
    "probes": [{"path": "/nothing-here"}, {"method": "DELETE", "path": "/login"}],
}
DISCLOSURE_WEB = [requirement("H-ERR", "security.headers.error_disclosure", WEB_PROBES)]


def no_secret(run: HostileRun) -> None:
    assert run.run_dir.is_dir()
    found = leaks(run.run_dir, {TOKEN, PASSWORD} | run.passwords_seen)
    assert found == [], found


def ended(run: HostileRun, exit_code: int) -> None:
    assert run.exit_code == exit_code, run.stderr[-2000:]
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
    assert (run.run_dir / "reports" / "report.html").is_file()
    assert (run.run_dir / "reports" / "report.pdf").is_file()


# -- hangs and CPU --------------------------------------------------------------------------


@pytest.mark.timeout(90)
def test_headers_dripped_byte_by_byte_end_in_error(hostile_run: Any) -> None:
    ROWS.append(("response headers dripped 1 byte/s", "drip-headers", "error (after 14.1)", "needs 14.1 (engine)"))
    run = hostile_run("drip-headers", HSTS)
    assert run.verdicts["H-HSTS"] == "error"
    ended(run, 101)


# One row per attack whose test is the same: the mode, what the run checks, the verdict,
# a word of the message when the verdict alone could come from another cause, the exit code.
ATTACKS = [
    ("body dripped 1 byte/s", "drip-body", HSTS, "error", "deadline", 101),
    ("4.9 MB error pages of `xError: `", "node-error-flood", DISCLOSURE, "passed", "", 0),
    ("20 search pages of 80,000 entries", "paging-flood", PAGING, "failed", "several pages", 100),
    ("every body followed by 250 KiB of `eyJ`", "eyj-bodies", HSTS, "passed", "", 0),
    ("HSTS max-age in full-width digits", "fullwidth-hsts", HSTS, "failed", "no valid max-age", 100),
    ("stack trace sent with Content-Encoding: gzip, gzip", "gzip-gzip-trace", DISCLOSURE, "failed", "traceback", 100),
    ("CORS: every endpoint answers a redirect or a 500", "cors-redirect-500", CORS, "error", "server error", 101),
    ("error probes all answered by a redirect", "cors-redirect-500", DISCLOSURE_WEB, "error", "redirected", 101),
    ("FHIR answer nested 100,000 deep", "deep-json", METADATA, "error", "nested too deep", 101),
]


@pytest.mark.timeout(240)
@pytest.mark.parametrize(
    ("attack", "mode", "requirements", "verdict", "because", "exit_code"), ATTACKS, ids=[a[1] for a in ATTACKS]
)
def test_attack(
    hostile_run: Any,
    attack: str,
    mode: str,
    requirements: list[dict[str, Any]],
    verdict: str,
    because: str,
    exit_code: int,
) -> None:
    run = hostile_run(mode, requirements)
    rid = requirements[0]["id"]
    run.record(attack, rid)
    assert run.verdicts[rid] == verdict, run.messages[rid]
    assert because.lower() in run.messages[rid].lower()
    ended(run, exit_code)
    no_secret(run)


@pytest.mark.timeout(120)
def test_reports_of_a_run_with_hostile_evidence_render_again(hostile_run: Any) -> None:
    run = hostile_run("deep-json", METADATA, report="")
    assert not (run.run_dir / "reports" / "report.html").exists()  # rendered below, not by the run
    again = _cli("report", str(run.run_dir), "--format", "html,pdf")
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    assert (run.run_dir / "reports" / "report.html").is_file()
    assert (run.run_dir / "reports" / "report.pdf").is_file()
    no_secret(run)


# -- secrets on disk --------------------------------------------------------------------------


@pytest.mark.timeout(180)
def test_token_in_a_redirect_path_names_no_file(hostile_run: Any) -> None:
    run = hostile_run("token-redirect", METADATA)
    run.record("in-scope redirect to /fhir/_tok/<token>/…", "H-META")
    assert run.verdicts["H-META"] == "passed"
    assert any("redacted" in p.name for p in (run.run_dir / "evidence").rglob("*"))
    ended(run, 0)
    no_secret(run)


@pytest.mark.timeout(180)
def test_escaped_echoes_of_token_and_password_stay_redacted(hostile_run: Any) -> None:
    run = hostile_run("escaped-echo", METADATA + DISCLOSURE_LOGGED_IN, **ERROR_PATHS)
    run.record("token JSON-escaped, password as HTML entities", "H-META")
    assert run.verdicts["H-META"] == "passed"
    assert run.verdicts["H-ERR"] == "passed"
    ended(run, 0)
    no_secret(run)
    html = (run.run_dir / "reports" / "report.html").read_text("utf-8")
    assert "«redacted»" in html


@pytest.mark.timeout(180)
def test_password_field_named_motdepasse_is_redacted_by_value(hostile_run: Any) -> None:
    run = hostile_run("plain", DISCLOSURE_LOGGED_IN, **ERROR_PATHS)
    run.record("login form whose password field is `motdepasse`", "H-ERR")
    assert PASSWORD in run.passwords_seen  # the harness did send it
    assert run.verdicts["H-ERR"] == "passed"
    ended(run, 0)
    no_secret(run)


@pytest.mark.timeout(180)
def test_generated_passwords_of_the_sacrificial_account_are_redacted(hostile_run: Any) -> None:
    run = hostile_run("plain", [requirement("H-PWD", "security.auth.password_policy")])
    run.record("sacrificial account's new passwords", "H-PWD")
    assert run.verdicts["H-PWD"] == "passed", run.messages["H-PWD"]
    generated = run.passwords_seen - {PASSWORD}
    assert len(generated) == 2  # the short one refused, the control one accepted
    ended(run, 0)
    no_secret(run)


def test_credentials_in_base_urls_are_refused_with_the_way_to_declare_them(tmp_path: Path) -> None:
    doc = target_doc("http://127.0.0.1:9")
    doc["base_urls"]["web"] = f"https://admin:{PASSWORD}@127.0.0.1:9"
    target = tmp_path / "target.yaml"
    target.write_text(yaml.safe_dump(doc), encoding="utf-8")
    lint = _cli("lint", str(target))
    assert lint.returncode == 1
    assert "base_urls.web" in lint.stderr and "auth:" in lint.stderr and "password_env" in lint.stderr
    assert PASSWORD not in lint.stderr + lint.stdout
    out = tmp_path / "run"
    ref = tmp_path / "ref.yaml"
    ref.write_text(yaml.safe_dump(referential_doc(HSTS)), encoding="utf-8")
    run = _cli("run", "-r", str(ref), "-t", str(target), "--out", str(out), "--report", "")
    assert run.returncode == 1
    assert "base_urls.web" in run.stderr and "Traceback" not in run.stderr
    assert not (out / "run.json").exists()
    assert PASSWORD not in run.stderr + run.stdout
    ROWS.append(("credentials inside base_urls", "(lint, no server)", "refused: base_urls.web", "exit 1, nothing run"))


# -- verdicts ------------------------------------------------------------------------------


@pytest.mark.timeout(180)
def test_invalid_json_document_reference_is_undecided_for_header_requirements(hostile_run: Any) -> None:
    reqs = [
        requirement("CISIS-DOC-02", "documents.header.ins"),
        requirement("CISIS-DOC-03", "documents.header.identity_traits"),
        requirement("CISIS-DOC-04", "documents.header.author_custodian_ids"),
    ]
    run = hostile_run("bad-json-docref", reqs)
    run.record("invalid JSON for a DocumentReference (CISIS-DOC-02..04)", "CISIS-DOC-02")
    for rid in ("CISIS-DOC-02", "CISIS-DOC-03", "CISIS-DOC-04"):
        assert run.verdicts[rid] == "error", run.messages[rid]
        assert "did not return JSON" in run.messages[rid]
    ended(run, 101)
    no_secret(run)


# -- CLI and run directory --------------------------------------------------------------------


def test_out_naming_a_file_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "target.yaml"
    target.write_text(yaml.safe_dump(target_doc("http://127.0.0.1:9")), encoding="utf-8")
    ref = tmp_path / "ref.yaml"
    ref.write_text(yaml.safe_dump(referential_doc(HSTS)), encoding="utf-8")
    a_file = tmp_path / "afile"
    a_file.write_text("x")
    res = _cli("run", "-r", str(ref), "-t", str(target), "--out", str(a_file))
    assert res.returncode == 1
    assert "is a file, not a folder" in res.stderr and "Traceback" not in res.stderr
    ROWS.append(("--out naming a file", "(no server)", "—", "exit 1, located message"))


def test_out_in_a_read_only_folder_is_a_clear_error(tmp_path: Path) -> None:
    # /sys is mounted read-only, for root too (a chmod would not stop root)
    probe = Path("/sys/homolog-probe")
    try:
        probe.mkdir()
    except OSError:
        pass
    else:
        probe.rmdir()
        pytest.skip("/sys is writable here")
    target = tmp_path / "target.yaml"
    target.write_text(yaml.safe_dump(target_doc("http://127.0.0.1:9")), encoding="utf-8")
    ref = tmp_path / "ref.yaml"
    ref.write_text(yaml.safe_dump(referential_doc(HSTS)), encoding="utf-8")
    res = _cli("run", "-r", str(ref), "-t", str(target), "--out", "/sys")
    assert res.returncode == 1
    assert "--out /sys: cannot write there" in res.stderr and "Traceback" not in res.stderr
    assert "INTERNALERROR" not in res.stdout + res.stderr
    ROWS.append(("--out an existing read-only folder", "(no server)", "—", "exit 1, located message"))


@pytest.mark.timeout(180)
def test_edited_report_of_a_signed_run_fails_verify(hostile_run: Any, tmp_path: Path) -> None:
    run = hostile_run("plain", HSTS)
    assert run.verdicts["H-HSTS"] == "passed"
    key, pub = tmp_path / "key.pem", tmp_path / "pub.pem"
    assert _cli("keygen", str(key), str(pub)).returncode == 0
    assert _cli("sign", str(run.run_dir), "--key", str(key)).returncode == 0
    assert _cli("verify", str(run.run_dir), "--pubkey", str(pub)).returncode == 0
    for name in ("report.html", "report.pdf"):
        report = run.run_dir / "reports" / name
        original = report.read_bytes()
        report.write_bytes(original.replace(b"passed", b"PASSED") + b" ")
        res = _cli("verify", str(run.run_dir), "--pubkey", str(pub))
        assert res.returncode == 100
        assert f"changed: reports/{name}" in res.stdout
        report.write_bytes(original)
    ROWS.append(("signed run, report.html/report.pdf edited", "plain", "passed (run)", "verify: FAILED, exit 100"))


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    return subprocess.run(
        [sys.executable, "-m", "homolog.cli", *args], capture_output=True, text=True, env=env, timeout=600
    )
