"""Record a running DMP simulator in a target file (for ``homolog demo`` and tests)."""

from __future__ import annotations

from pathlib import Path

import yaml

from .simulator import DmpSimulator

__all__ = ["declare_dmp"]


def declare_dmp(target_path: Path, dmp: DmpSimulator) -> None:
    """Add ``settings.dmp.{url,control_url,ca_file}`` to a target (other keys kept).

    The file is rewritten with ``yaml.safe_dump``: comments are lost.
    """
    doc = yaml.safe_load(target_path.read_text(encoding="utf-8")) or {}
    dmp_settings = doc.setdefault("settings", {}).setdefault("dmp", {})
    dmp_settings.update(url=dmp.url, control_url=dmp.control_url, ca_file=str(dmp.ca_file))
    target_path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
