"""Where the ANS CI-SIS material (schematrons, CDA XSD) lives for a run.

The product does not ship the ANS TestContenuCDA files (their licence does not allow it):
``homolog materials fetch cda`` downloads the pinned release into homolog's cache, or the
user points to their own copy. Resolution order: the target's
``settings.documents.schematron_dir`` / ``settings.documents.xsd`` (relative to the target
file), then ``settings.documents.cda_dir`` naming the root of a TestContenuCDA copy
(``schematrons/`` and ``infrastructure/cda/CDA_extended.xsd``), which ``homolog run
--cda-dir`` sets (the front ends also take it from ``HOMOLOG_CDA_DIR``), then the copy
``homolog materials fetch cda`` installed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from homolog import fetch_command, installed_material

__all__ = ["ENV_VAR", "AnsMaterial", "MaterialError"]

ENV_VAR = "HOMOLOG_CDA_DIR"
XSD_IN_ROOT = Path("infrastructure") / "cda" / "CDA_extended.xsd"


class MaterialError(Exception):
    """The ANS material is not configured or not where the configuration says."""


def _missing(what: str) -> MaterialError:
    return MaterialError(
        f"no {what}: the ANS CI-SIS material is not installed. Run `{fetch_command('cda')}`,"
        f" or set settings.documents.cda_dir (homolog run --cda-dir, env {ENV_VAR}) to the root of a"
        " TestContenuCDA copy, or settings.documents.schematron_dir and settings.documents.xsd in the target"
    )


@dataclass(frozen=True)
class AnsMaterial:
    """Paths of the CI-SIS schematron folder and of the CDA XSD."""

    schematron_dir: Path
    xsd: Path

    @classmethod
    def from_root(cls, root: Path) -> AnsMaterial:
        """A TestContenuCDA copy: ``root/schematrons`` and ``root/infrastructure/cda``."""
        return cls(schematron_dir=root / "schematrons", xsd=root / XSD_IN_ROOT).checked()

    @classmethod
    def located(cls, root: Path | None = None, *, settings: Mapping[str, Any] | None = None) -> AnsMaterial:
        """``root`` if given, else what ``settings`` (a ``settings.documents`` mapping) say, else the fetched copy."""
        return cls.from_settings(settings or {}) if root is None else cls.from_root(root)

    @classmethod
    def from_settings(
        cls,
        settings: Mapping[str, Any],
        *,
        base_dir: Path | None = None,
    ) -> AnsMaterial:
        """Resolve from a target's ``settings.documents`` mapping (``cda_dir``, then the
        copy ``homolog materials fetch cda`` installed, fill what is not set)."""
        root: Path | None = Path(str(settings["cda_dir"])).expanduser() if settings.get("cda_dir") else None
        sch = settings.get("schematron_dir")
        xsd = settings.get("xsd")
        if root is None and (sch is None or xsd is None):
            root = installed_material("cda")

        def rel(value: Any) -> Path:
            p = Path(str(value)).expanduser()
            return p if p.is_absolute() or base_dir is None else base_dir / p

        if sch is None and root is None:
            raise _missing("CI-SIS schematrons")
        if xsd is None and root is None:
            raise _missing("CDA XSD")
        return cls(
            schematron_dir=rel(sch) if sch is not None else Path(str(root)) / "schematrons",
            xsd=rel(xsd) if xsd is not None else Path(str(root)) / XSD_IN_ROOT,
        ).checked()

    def checked(self) -> AnsMaterial:
        """Return self after checking both paths exist (raises :class:`MaterialError`)."""
        if not self.schematron_dir.is_dir():
            raise MaterialError(f"schematron folder not found: {self.schematron_dir}")
        if not self.xsd.is_file():
            raise MaterialError(f"CDA XSD not found: {self.xsd}")
        return self
