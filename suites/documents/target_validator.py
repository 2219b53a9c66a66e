"""The CDA validator a target's settings configure (``settings.documents``), one per process.

Shared by the document checks and by other domains that judge CDA documents (the
MSSanté suite validates the documents a system sends through its operator).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from homolog import CheckError, Target

from .material import AnsMaterial, MaterialError
from .validator import DocumentValidator

__all__ = ["validator_for"]

# Compiled schematrons are costly: one validator per configuration, kept for the process.
_VALIDATORS: dict[tuple[Any, ...], DocumentValidator] = {}
_LOCK = threading.Lock()


def validator_for(target: Target) -> DocumentValidator:
    """The process-wide validator for the target's ANS material (compiled schematrons kept)."""
    settings = target.settings("documents")
    try:
        material = AnsMaterial.from_settings(settings, base_dir=target.path.parent if target.path else None)
    except MaterialError as exc:
        raise CheckError(str(exc)) from exc
    cache = settings.get("cache_dir")
    cache_dir = target.resolve_path(str(cache)) if cache else None
    pinned = dict(settings.get("volet_versions") or {})
    profiles = tuple(Path(str(p)) for p in settings.get("profiles") or ())
    key = (material, cache_dir, tuple(sorted(pinned.items())), profiles)
    with _LOCK:
        if key not in _VALIDATORS:
            _VALIDATORS[key] = DocumentValidator(
                material, cache_dir=cache_dir, pinned_versions=pinned, profiles=profiles
            )
        return _VALIDATORS[key]
