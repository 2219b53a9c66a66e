"""Record a running simulator in a target file, for tests that start the SUT themselves."""

from __future__ import annotations

from pathlib import Path

from homolog.counterparts import Counterpart, declare

__all__ = ["declare_simulator"]


def declare_simulator(target_path: Path, psc: Counterpart) -> None:
    """Add what the simulator adds to a run (``base_urls.psc``, ``settings.security.psc``) to a target file."""
    declare(target_path, "psc", psc)
