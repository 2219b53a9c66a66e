"""Reports over a finished run directory: HTML, PDF, JUnit XML, CSV matrix, JSON, OSCAL.

Reports are pure functions of a run directory (format ``homolog.run/1``); they never
re-run a check. Formats are declared in :mod:`homolog.reports.registry`.

Exceptions::

    ValueError
     └── ReportError      the run directory is missing, unreadable or invalid,
                          or a format is unknown
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from homolog.reports.labels import LANGS
from homolog.reports.model import ReportError, Run, load_run

__all__ = ["FORMATS", "ReportError", "Run", "load_run", "render"]

FORMATS: tuple[str, ...] = ("html", "pdf", "junit", "csv", "json", "segur-proofs", "oscal")


def render(
    run_dir: Path,
    formats: Sequence[str],
    *,
    out_dir: Path | None = None,
    lang: str = "fr",
) -> dict[str, Path]:
    """Render the run in ``run_dir`` into each of ``formats``; return format -> file.

    ``out_dir`` defaults to ``run_dir / "reports"`` (a derived folder that the run's
    manifest does not cover). Raises :class:`ReportError` for an unknown format or
    language, or an unreadable or invalid run directory.
    """
    from homolog.reports.registry import REPORTERS

    wanted = [f.strip().lower() for f in formats if f.strip()]
    if not wanted:
        raise ReportError(f"no report format given; choose among {', '.join(REPORTERS)}")
    unknown = [f for f in wanted if f not in REPORTERS]
    if unknown:
        raise ReportError(f"unknown report format {', '.join(map(repr, unknown))}; choose among {', '.join(REPORTERS)}")
    if lang not in LANGS:
        raise ReportError(f"unknown report language {lang!r}; choose among {', '.join(LANGS)}")
    run = load_run(Path(run_dir))
    target_dir = Path(out_dir) if out_dir is not None else run.dir / "reports"
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"{target_dir}: cannot create the report folder ({exc})") from None
    written: dict[str, Path] = {}
    for fmt in dict.fromkeys(wanted):
        written[fmt] = REPORTERS[fmt].render(run, target_dir, lang)
    return written
