"""The run format `homolog.run/1`: read and validate a finished run directory.

This is the only engine module reports may import: a report is a pure function of
the run directory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from .errors import RunError
from .schemas import load_schema

__all__ = ["RUN_FORMAT", "read_run", "validate_run"]

RUN_FORMAT = "homolog.run/1"


def validate_run(doc: Any) -> list[str]:
    """Messages for every way `doc` departs from the run schema (empty when valid)."""
    validator = jsonschema.Draft202012Validator(load_schema("run"))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(doc)]


def read_run(run_dir: Path) -> dict[str, Any]:
    """Load run.json of a finished run, checked against the schema."""
    path = Path(run_dir) / "run.json"
    try:
        doc = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise RunError(f"{run_dir} has no run.json: is it a finished homolog run?") from None
    except (OSError, ValueError) as exc:
        raise RunError(f"{path} cannot be read: {exc}") from None
    problems = validate_run(doc)
    if problems:
        raise RunError(f"{path} is not a valid {RUN_FORMAT} document: " + "; ".join(problems[:5]))
    return doc  # type: ignore[no-any-return]
