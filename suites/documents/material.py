"""Where the ANS CI-SIS material (schematrons, CDA XSD) lives for a run.

The product does not ship the ANS TestContenuCDA files: the user points to their copy.
Resolution order: the target's ``settings.documents.schematron_dir`` / ``settings.documents.xsd``
(relative to the target file), then ``settings.documents.cda_dir`` naming the root of a
TestContenuCDA copy (``schematrons/`` and ``infrastructure/cda/CDA_extended.xsd``), which
``homolog run --cda-dir`` sets (the front ends also take it from ``HOMOLOG_CDA_DIR``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ENV_VAR", "AnsMaterial", "MaterialError"]

ENV_VAR = "HOMOLOG_CDA_DIR"
XSD_IN_ROOT = Path("infrastructure") / "cda" / "CDA_extended.xsd"


class MaterialError(Exception):
    """The ANS material is not configured or not where the configuration says."""


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
    def from_settings(
        cls,
        settings: Mapping[str, Any],
        *,
        base_dir: Path | None = None,
    ) -> AnsMaterial:
        """Resolve from a target's ``settings.documents`` mapping (``cda_dir`` last)."""
        root = settings.get("cda_dir")
        sch = settings.get("schematron_dir")
        xsd = settings.get("xsd")

        def rel(value: Any) -> Path:
            p = Path(str(value)).expanduser()
            return p if p.is_absolute() or base_dir is None else base_dir / p

        if sch is None and not root:
            raise MaterialError(
                "no CI-SIS schematrons configured: set settings.documents.schematron_dir in the"
                f" target, or settings.documents.cda_dir (homolog run --cda-dir, env {ENV_VAR}) to the root"
                " of a copy of the ANS TestContenuCDA material"
            )
        if xsd is None and not root:
            raise MaterialError(
                "no CDA XSD configured: set settings.documents.xsd in the target (path of"
                f" CDA_extended.xsd) or settings.documents.cda_dir (env {ENV_VAR}) to the root of a TestContenuCDA copy"
            )
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
