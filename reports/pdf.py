"""The PDF report for the certification file, rendered by WeasyPrint.

It is the print variant of the HTML report (same content, every requirement open,
HTTP exchanges listed by request line and status, screenshots embedded). WeasyPrint
runs no script; its URL fetcher accepts only ``data:`` URIs (every image is embedded
as one), which keeps SUT-controlled text from making
the renderer read local files or reach the network.
"""

from __future__ import annotations

import logging
from pathlib import Path

from homolog.reports.html import build_html
from homolog.reports.model import ReportError, Run

__all__ = ["PdfReporter"]


class PdfReporter:
    """PDF report (``report.pdf``) of the same content as the HTML report."""

    name = "pdf"
    filename = "report.pdf"

    def render(self, run: Run, out_dir: Path, lang: str) -> Path:
        """Write ``report.pdf`` into ``out_dir``."""
        try:
            from weasyprint import HTML  # type: ignore[import-untyped]
            from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]
        except ImportError as exc:  # pragma: no cover - weasyprint is a dependency
            raise ReportError(f"the PDF report needs weasyprint ({exc})") from None
        fetcher = URLFetcher(allowed_protocols=["data"], allow_redirects=False, timeout=1)
        source = build_html(run, lang, out_dir, variant="print")
        path = out_dir / self.filename
        # WeasyPrint logs every refused fetch and unsupported CSS at WARNING; the
        # report has none on purpose, so keep the console for what matters.
        logger = logging.getLogger("weasyprint")
        previous = logger.level
        logger.setLevel(logging.ERROR)
        try:
            HTML(string=source, url_fetcher=fetcher).write_pdf(path)
        finally:
            logger.setLevel(previous)
        return path
