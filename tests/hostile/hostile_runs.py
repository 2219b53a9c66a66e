"""Runs of `homolog run` against the hostile server, and what the tests look for afterwards.

Each run is a real `homolog run` in a subprocess (so that a hang is a hang of the run,
not of the test process), killed when the test ends whatever the outcome; the guard
against a run that never ends is pytest-timeout. The secrets are environment variables
of that subprocess, fresh for each test session.

The rows the tests record (attack, verdict, run outcome) are printed as a Markdown
table at the end of the session, and written to the file `HOMOLOG_HOSTILE_TABLE`
names when it is set: the "Must show" table of issue 14.
"""

from __future__ import annotations

import base64
import html
import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
import yaml
from hostile_server import HostileServer

TOKEN = "hstok-" + secrets.token_hex(12)
PASSWORD = f"Pw!hs D#{secrets.token_hex(3)}&x"
ROWS: list[tuple[str, str, str, str]] = []


@dataclass
class HostileRun:
    """What a run against the hostile server left."""

    mode: str
    exit_code: int
    run_dir: Path
    stderr: str
    verdicts: dict[str, str] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    passwords_seen: set[str] = field(default_factory=set)

    def record(self, attack: str, requirement: str) -> None:
        """One row of the table: the attack, the check's verdict, how the run ended."""
        verdict = self.verdicts.get(requirement, "no verdict")
        outcome = f"ended, exit {self.exit_code}" + (", reports written" if _reports(self.run_dir) else "")
        ROWS.append((attack, self.mode, verdict, outcome))


def _reports(run_dir: Path) -> bool:
    return (run_dir / "reports" / "report.html").is_file()


def requirement(rid: str, check: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": rid,
        "title": f"title of {rid}",
        "text": {"fr": f"texte de {rid}", "en": f"text of {rid}"},
        "level": "exigence",
        "family": "hostile",
        "source": {"document": "hostile tests", "section": "1"},
        "checks": [{"check": check, **({"with": params} if params else {})}],
    }


def referential_doc(requirements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "format": "homolog.referential/1",
        "id": "hostile",
        "version": "1.0.0",
        "title": "Hostile server",
        "publisher": "homolog",
        "date": "2026-11-29",
        "requirements": requirements,
    }


def target_doc(base: str, **settings: Any) -> dict[str, Any]:
    return {
        "format": "homolog.target/1",
        "system": {"name": "hostile", "version": "1"},
        "base_urls": {"fhir": f"{base}/fhir", "web": base},
        "timeouts": {"read": 2, "connect": 2},
        "auth": {
            "fhir": {"type": "bearer", "token_env": "HOSTILE_TOKEN"},
            "web": {"type": "form", "username": "alice", "password_env": "HOSTILE_PASSWORD"},
            "password_change": {"type": "form", "username": "carol", "password_env": "HOSTILE_PASSWORD"},
        },
        "options": {"modules": ["documents"]},
        "data": {"documents": ["doc-1"]},
        "pages": {
            "login": {"path": "/login", "locators": {"username": "#username", "password": "#password"}},
            "home": {"path": "/", "locators": {"current_user": "#current-user"}},
            "password_change": {
                "path": "/account/password",
                "locators": {
                    "current": "#current_password",
                    "new": "#new_password",
                    "done": "[role=status]",
                    "error": "[role=alert]",
                },
            },
        },
        "settings": settings,
    }


@pytest.fixture
def hostile_run(tmp_path: Path) -> Iterator[Any]:
    """`hostile_run(mode, requirements, **settings) -> HostileRun`; every process and server stopped at the end."""
    started: list[tuple[HostileServer, subprocess.Popen[str] | None]] = []

    def run(
        mode: str, requirements: list[dict[str, Any]], *, report: str = "html,pdf,junit,csv", **settings: Any
    ) -> HostileRun:
        server = HostileServer(mode, token=TOKEN, password=PASSWORD).__enter__()
        started.append((server, None))
        ref = tmp_path / "referential.yaml"
        ref.write_text(yaml.safe_dump(referential_doc(requirements), allow_unicode=True), encoding="utf-8")
        target = tmp_path / "target.yaml"
        target.write_text(yaml.safe_dump(target_doc(server.base, **settings), allow_unicode=True), encoding="utf-8")
        run_dir = tmp_path / "run"
        env = {
            **os.environ,
            "HOSTILE_TOKEN": TOKEN,
            "HOSTILE_PASSWORD": PASSWORD,
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        }
        env.pop("PYTEST_ADDOPTS", None)
        cmd = [sys.executable, "-m", "homolog.cli", "run", "-r", str(ref), "-t", str(target), "--out", str(run_dir)]
        proc = subprocess.Popen(
            [*cmd, "--report", report], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        started[-1] = (server, proc)
        _, stderr = proc.communicate()  # pytest-timeout ends a run that never does
        result = HostileRun(mode, proc.returncode, run_dir, stderr, passwords_seen=set(server.passwords_seen))
        doc_path = run_dir / "run.json"
        if doc_path.is_file():
            doc = json.loads(doc_path.read_text("utf-8"))
            for req in doc["requirements"]:
                result.verdicts[req["id"]] = req["verdict"]
                result.messages[req["id"]] = " | ".join(str(c.get("message") or "") for c in req.get("checks", []))
        return result

    yield run
    for server, proc in started:
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            proc.communicate(timeout=30)  # reaps it and closes its pipes
        server.stop()


def secret_forms(value: str) -> set[bytes]:
    """The forms in which a secret would be readable in a file of the run."""
    forms = {
        value,
        quote(value, safe=""),
        quote_plus(value),
        html.escape(value),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=True)[1:-1],
        base64.b64encode(value.encode()).decode(),
        base64.urlsafe_b64encode(value.encode()).decode(),
    }
    return {f.encode() for f in forms}


def leaks(run_dir: Path, values: set[str]) -> list[str]:
    """Where any of `values` appears in the run directory: file contents, file names, the PDF's text."""
    found = []
    needles = {v: secret_forms(v) for v in values}
    for path in sorted(run_dir.rglob("*")):
        rel = path.relative_to(run_dir).as_posix()
        for value, forms in needles.items():
            if any(f.decode() in rel for f in forms):
                found.append(f"file name {rel} holds {value!r}")
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix == ".pdf":
            if shutil.which("pdftotext") is None:
                pytest.fail("pdftotext (poppler-utils) is needed to read the PDF report")
            data += subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, timeout=120).stdout
        for value, forms in needles.items():
            for form in forms:
                if form in data:
                    found.append(f"{rel} holds {value!r} as {form[:40]!r}")
    return found


def table() -> list[str]:
    """The rows recorded so far as a Markdown table."""
    return [
        "| attack | hostile server mode | verdict | run |",
        "|---|---|---|---|",
        *(f"| {a} | `{m}` | {v} | {o} |" for a, m, v, o in ROWS),
    ]
