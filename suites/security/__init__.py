"""Security checks: TLS, HTTP hardening, authentication and sessions, Pro Santé Connect."""

from __future__ import annotations

from homolog import hookimpl


@hookimpl
def homolog_fixture_modules() -> list[str]:
    """``psc_simulator`` and ``psc_ui`` (the PSC checks)."""
    return ["homolog.suites.security.fixtures"]
