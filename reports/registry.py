"""The registry of report formats: format key -> reporter.

This is the one place where formats are declared. To add a format, write a module
with a class satisfying :class:`homolog.reports.base.Reporter` and add it here.
"""

from __future__ import annotations

from collections.abc import Mapping

from homolog.reports.base import Reporter
from homolog.reports.csv import CsvReporter
from homolog.reports.html import HtmlReporter
from homolog.reports.json import JsonReporter
from homolog.reports.junit import JunitReporter
from homolog.reports.oscal import OscalReporter
from homolog.reports.pdf import PdfReporter
from homolog.reports.segur_proofs import SegurProofsReporter

__all__ = ["REPORTERS"]

REPORTERS: Mapping[str, Reporter] = {
    "html": HtmlReporter(),
    "pdf": PdfReporter(),
    "junit": JunitReporter(),
    "csv": CsvReporter(),
    "json": JsonReporter(),
    "segur-proofs": SegurProofsReporter(),
    "oscal": OscalReporter(),
}
