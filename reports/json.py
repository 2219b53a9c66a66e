"""The JSON report: the run's own ``run.json``, copied byte for byte.

The run format is the interchange format; copying (rather than re-serialising)
keeps its hash identical to the file the manifest covers.
"""

from __future__ import annotations

from pathlib import Path

from homolog.reports.model import Run

__all__ = ["JsonReporter"]


class JsonReporter:
    """JSON report (``run.json`` copied into the report folder)."""

    name = "json"
    filename = "run.json"

    def render(self, run: Run, out_dir: Path, lang: str) -> Path:
        """Copy the validated ``run.json`` into ``out_dir``."""
        path = out_dir / self.filename
        path.write_bytes(run.raw_bytes)
        return path
