"""Record a running MSSanté simulator in a target file (for ``homolog demo`` and tests)."""

from __future__ import annotations

from pathlib import Path

import yaml

from .simulator import MssSimulator

__all__ = ["declare_simulator"]


def declare_simulator(target_path: Path, mss: MssSimulator) -> None:
    """Set ``settings.mss.simulator`` (control URL and SMTP addresses) in a target.

    The file is rewritten with ``yaml.safe_dump`` (comments are lost); the other keys,
    including the SUT's own ``settings.mss`` (its trigger), are kept as they are.
    """
    doc = yaml.safe_load(target_path.read_text(encoding="utf-8")) or {}
    settings = doc.setdefault("settings", {}).setdefault("mss", {})
    settings["simulator"] = {"control_url": mss.control_url, "smtp": mss.url, "smtps": mss.implicit_tls_url}
    target_path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
