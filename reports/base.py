"""The reporter extension point.

A reporter turns a loaded run (:class:`homolog.reports.model.Run`) into one output
format. It is a class with a ``name`` (the format key users type), a ``filename``
(written inside the output folder) and ``render(run, out_dir, lang)`` returning the
path it wrote. Reporters are listed in :data:`homolog.reports.registry.REPORTERS`,
the one place to declare a new format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from homolog.reports.model import Run

__all__ = ["Reporter"]


@runtime_checkable
class Reporter(Protocol):
    """Renders a finished run into one format; never re-runs anything."""

    name: str
    filename: str

    def render(self, run: Run, out_dir: Path, lang: str) -> Path:
        """Write the report for ``run`` into ``out_dir`` in ``lang``; return its path."""
        ...
