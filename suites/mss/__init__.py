"""MSSanté: what the system under test sends through its MSSanté operator.

The operator is the MSSanté simulator (``homolog.counterparts.mss``): a target declares
it under ``counterparts: {mss: ...}`` and the run starts it (``homolog demo`` starts it
before the reference DPI); the checks reach it through the ``counterpart("mss")``
fixture. A check asks the SUT to send a document the way a user would
(``settings.mss.trigger``: the HTTP call behind the "send" action), then judges what
reached the simulator. Layout:

    settings.py    ``settings.mss``: trigger, product_reference, wait_seconds
    exchange.py    one exchange (trigger + what arrived), shared by the run's processes
    fixtures.py    pytest fixtures ``mss_simulator`` and ``mss_exchange``
    sending/       the checks ``mss.sending.*``: ``tls`` (TLS on the submission),
                   ``client_certificate`` (mutual TLS), ``addresses`` (the trust space),
                   ``xdm_archive`` (IHE_XDM.ZIP and its layout), ``cda_conforms`` (the CDA
                   it carries, validated by the documents suite), ``patient_ins`` (the INS
                   in the XDM metadata), ``header_ins`` / ``header_codecda`` /
                   ``header_nil`` (in ``header.py``: X-MSS-INS, X-MSS-CODECDA, X-MSS-NIL)
"""

from __future__ import annotations

from homolog import hookimpl


@hookimpl
def homolog_fixture_modules() -> list[str]:
    """``mss_simulator`` and ``mss_exchange`` (the MSSanté checks)."""
    return ["homolog.suites.mss.fixtures"]
