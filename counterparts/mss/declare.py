"""Record a running MSSanté simulator in a target file, for tests that start the SUT themselves."""

from __future__ import annotations

from pathlib import Path

from homolog.counterparts import Counterpart, declare

__all__ = ["declare_simulator"]


def declare_simulator(target_path: Path, mss: Counterpart) -> None:
    """Add what the simulator adds to a run (``settings.counterparts.mss``: url, control URL) to a target file.

    The file is rewritten with ``yaml.safe_dump`` (comments are lost); the other keys,
    including the SUT's own ``settings.mss`` (its trigger), are kept as they are.
    """
    declare(target_path, "mss", mss)
