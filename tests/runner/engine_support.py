"""Builders of referential files for the engine tests."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml


def interruptible(argv: list[str]) -> list[str]:
    """`argv` started with SIGINT back to its default action, as for a command typed in a
    terminal: a shell that starts the test run in the background (`cmd &` without job
    control) has it ignored, and an ignored signal stays ignored across exec."""
    code = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])"
    return [sys.executable, "-c", code, *argv]


def requirement(rid: str, check: str | None = None, **kw: object) -> dict[str, object]:
    req: dict[str, object] = {
        "id": rid,
        "title": f"title of {rid}",
        "text": {"fr": f"texte de {rid}", "en": f"text of {rid}"},
        "level": "exigence",
        "family": "tests",
        "source": {"document": "engine tests", "section": "1"},
    }
    if check:
        req["checks"] = [{"check": check, **({"with": kw.pop("with_")} if "with_" in kw else {})}]
    req.update(kw)
    return req


def write_referential(path: Path, requirements: list[dict[str, object]], **meta: object) -> Path:
    doc = {
        "format": "homolog.referential/1",
        "id": meta.pop("id", "engine-test"),
        "version": meta.pop("version", "1.0.0"),
        "title": "Engine test referential",
        "publisher": "homolog",
        "date": "2026-11-22",
        **meta,
        "requirements": requirements,
    }
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def recorded(run_dir: Path) -> tuple[list[dict[str, object]], dict[str, str]]:
    """What a run recorded, times left out: its result lines (no start, no duration) and its
    evidence files by name (no dates, no elapsed times): two runs of the same cases compare equal."""
    lines = []
    for line in (run_dir / "results.jsonl").read_text().splitlines():
        record = json.loads(line)
        del record["started"], record["duration"]
        lines.append(record)
    files = {
        p.name: re.sub(r'"(date|elapsed)": [^\n]*', "", p.read_text()) for p in sorted((run_dir / "evidence").iterdir())
    }
    return lines, files


ENGINE_TOKEN = ("ENGINE_TEST_TOKEN", "tok-9f8e7d6c5b4a")  # the variable the target names, and its value


def write_engine_target(path: Path, web_server: str) -> Path:
    """The engine tests' target (the test server, a bearer token from ENGINE_TOKEN) at `path`."""
    path.write_text(
        yaml.safe_dump(
            {
                "format": "homolog.target/1",
                "system": {"name": "engine test server", "version": "1"},
                "base_urls": {"web": web_server},
                "timeouts": {"read": 1.0, "max_response_bytes": 1048576},
                "auth": {"api": {"type": "bearer", "token_env": ENGINE_TOKEN[0]}},
                "options": {"modules": ["dmp"]},
            }
        )
    )
    return path
