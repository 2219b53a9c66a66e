"""E-prescription: what the system registers with the national e-prescription service and
the prescription it prints.

The service is the e-prescription simulator (``homolog.counterparts.eprescription``): a
target declares it under ``counterparts: {eprescription: ...}`` (``homolog demo`` starts it
before the reference system) and the checks reach it through the ``eprescription`` fixture.
A check asks the system to prescribe and print the way a user would
(``settings.eprescription.trigger``: the HTTP call behind "prescribe and print"), then
judges what reached the service and the PDF the system produced. Layout:

    settings.py    ``settings.eprescription``: trigger, pdf_link, expected, wait_seconds
    exchange.py    one prescription (trigger, registrations received, the PDF), shared by
                   the run's processes
    pdf_reading.py reading a PDF: its text (pdftotext) and the QR codes / data matrices on
                   its pages (pdftoppm, then zxing-cpp)
    fixtures.py    pytest fixtures ``eprescription`` and ``prescribing``
    registration/  ``required_data`` (the registration holds the prescriber's idNatPS, the
                   patient's INS and the items; the service registered it),
                   ``refusal_surfaced`` (a refused registration is not printed)
    printout/      ``identifier`` (the QR code decodes to the registered number, printed in
                   clear too), ``mentions`` (prescriber, patient identity with INS, date, items)
"""

from __future__ import annotations

from homolog import hookimpl


@hookimpl
def homolog_fixture_modules() -> list[str]:
    """``eprescription`` and ``prescribing`` (the e-prescription checks)."""
    return ["homolog.suites.eprescription.fixtures"]
