"""Record a running simulator in a target file (for ``homolog demo`` and tests)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import yaml

from .simulator import PscSimulator

__all__ = ["declare_simulator"]


def declare_simulator(target_path: Path, psc: PscSimulator) -> None:
    """Add ``base_urls.psc`` and ``settings.security.psc.{issuer,control_url}`` to a target.

    The file is rewritten with ``yaml.safe_dump`` (comments are lost); the other keys
    are kept as they are.
    """
    doc = yaml.safe_load(target_path.read_text(encoding="utf-8")) or {}
    parts = urlsplit(psc.issuer)
    doc.setdefault("base_urls", {})["psc"] = f"{parts.scheme}://{parts.netloc}"
    sec = doc.setdefault("settings", {}).setdefault("security", {})
    sec.setdefault("psc", {})
    sec["psc"]["issuer"] = psc.issuer
    sec["psc"]["control_url"] = psc.control_url
    target_path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
