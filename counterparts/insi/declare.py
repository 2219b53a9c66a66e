"""Record a running INSi simulator in a target file (for ``homolog demo`` and tests)."""

from __future__ import annotations

from pathlib import Path

import yaml

from .simulator import InsiSimulator

__all__ = ["declare_insi"]


def declare_insi(target_path: Path, insi: InsiSimulator) -> None:
    """Add ``settings.insi.{url,control_url,ca_file}`` to a target (other keys kept).

    The file is rewritten with ``yaml.safe_dump``: comments are lost.
    """
    doc = yaml.safe_load(target_path.read_text(encoding="utf-8")) or {}
    doc.setdefault("settings", {})["insi"] = {
        "url": insi.url,
        "control_url": insi.control_url,
        "ca_file": str(insi.ca_file),
    }
    target_path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
