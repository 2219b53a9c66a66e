"""Pytest fixtures of the security suite: ``psc_simulator`` and ``psc_ui``.

The simulator (``homolog.counterparts.psc``) is started before the SUT: by ``homolog
run`` when the target declares ``counterparts: {psc: ...}``, by ``homolog demo``, or by
a test. The run adds it to the target: ``base_urls.psc`` (so the browser may reach it)
and ``settings.security.psc`` with ``issuer`` and ``control_url``. Checks, possibly in
another process, reach it through its control API.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from homolog import Evidence, Target
from homolog.counterparts.psc import PscControl
from homolog.suites.security.psc_login import provider_control

__all__ = ["psc_simulator", "psc_ui"]


@pytest.fixture
def psc_simulator(target: Target) -> PscControl:
    """The PSC simulator the target's SUT is configured with (control API client)."""
    return provider_control(target, "security", "psc")


@pytest.fixture
def psc_ui(request: pytest.FixtureRequest, target: Target, evidence: Evidence) -> Iterator[Any]:
    """A browser session for PSC logins: the UI suite's ``UiSession`` without tracing.

    A PSC check is several full logins; a Playwright trace of each would cost more than
    the logins. The simulator's records (attached by the checks) are the evidence of
    what was asked and answered; a failing check attaches a screenshot itself.
    """
    from homolog.suites.ui.session import UiSession

    manager = request.getfixturevalue("ui_browser")
    session = UiSession(manager, target, evidence, trace=False, http=request.getfixturevalue("http"))
    try:
        yield session
    finally:
        session.close(failed=False)
