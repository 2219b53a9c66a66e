"""Fixtures of the hostile-server tests, and the table of issue 14 printed at the end."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hostile_runs import ROWS, hostile_run, table

__all__ = ["hostile_run"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not ROWS:
        return
    terminalreporter.write_sep("=", "issue 14: attacks, verdicts and run outcomes")
    for line in table():
        terminalreporter.write_line(line)
    out = os.environ.get("HOMOLOG_HOSTILE_TABLE")
    if out:
        Path(out).write_text("\n".join(table()) + "\n", encoding="utf-8")
