"""CI-SIS value sets (SVS ``RetrieveValueSetResponse`` files, as the ANS publishes them).

The DMP profile binds each XDS code to a value set: ``J01`` author specialty, ``J02``
healthcare facility type, ``J04`` practice setting, ``J06`` class, ``J07`` type, ``J08``
confidentiality, ``J10`` format. They are read from a folder the user points to (the
ANS ``jeuxDeValeurs`` folder); the simulator ships none. A binding whose file is absent
is checked against its code system only, and the exchange record says so.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from ..soap.envelope import safe_parser

__all__ = ["BINDINGS", "Binding", "ValueSetError", "ValueSets"]

_SVS_NS = "urn:ihe:iti:svs:2008"
_MAX_FILE = 8 * 1024 * 1024


class ValueSetError(Exception):
    """A value set file that cannot be read."""


@dataclass(frozen=True)
class Binding:
    """An XDS code bound to a CI-SIS value set (by file-name prefix) or, failing it, to code systems."""

    metadata: str
    prefixes: tuple[str, ...]
    code_systems: tuple[str, ...]


# Code systems are the ones the CI-SIS terminologies (NOS) define for each metadata.
BINDINGS: dict[str, Binding] = {
    "classCode": Binding("classCode", ("JDV_J06_", "JDV_J57_"), ("1.2.250.1.213.1.1.4.1",)),
    "typeCode": Binding("typeCode", ("JDV_J07_", "JDV_J66_"), ("2.16.840.1.113883.6.1", "1.2.250.1.213.1.1.4.12")),
    "formatCode": Binding(
        "formatCode", ("JDV_J10_", "JDV_J60_"), ("1.2.250.1.213.1.1.4.2.282", "1.3.6.1.4.1.19376.1.2.3", "URN")
    ),
    "practiceSettingCode": Binding("practiceSettingCode", ("JDV_J04_",), ("1.2.250.1.213.1.1.4.9",)),
    "healthcareFacilityTypeCode": Binding("healthcareFacilityTypeCode", ("JDV_J02_",), ("1.2.250.1.71.4.2.4",)),
    "confidentialityCode": Binding(
        "confidentialityCode", ("JDV_J08_", "JDV_J58_"), ("2.16.840.1.113883.5.25", "1.2.250.1.213.1.1.4.13")
    ),
    "authorSpecialty": Binding("authorSpecialty", ("JDV_J01_",), ("1.2.250.1.213.1.1.4.5",)),
}


def _read_svs(path: Path) -> frozenset[tuple[str, str]]:
    if path.stat().st_size > _MAX_FILE:
        raise ValueSetError(f"{path} is larger than {_MAX_FILE} bytes")
    try:
        root = etree.parse(str(path), safe_parser()).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise ValueSetError(f"{path}: {exc}") from None
    concepts = root.iter(f"{{{_SVS_NS}}}Concept")
    return frozenset((c.get("code") or "", c.get("codeSystem") or "") for c in concepts)


class ValueSets:
    """The value sets of a folder, loaded on first use, keyed by binding."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._loaded: dict[str, tuple[str | None, frozenset[tuple[str, str]] | None]] = {}

    def _load(self, binding: Binding) -> tuple[str | None, frozenset[tuple[str, str]] | None]:
        with self._lock:
            if binding.metadata not in self._loaded:
                found: tuple[str | None, frozenset[tuple[str, str]] | None] = (None, None)
                if self.folder is not None and self.folder.is_dir():
                    for prefix in binding.prefixes:
                        files = sorted(self.folder.glob(f"{prefix}*.xml"))
                        if files:
                            found = (files[0].name, _read_svs(files[0]))
                            break
                self._loaded[binding.metadata] = found
            return self._loaded[binding.metadata]

    def source(self, metadata: str) -> str:
        """The value set file used for ``metadata``, or the code systems it falls back to."""
        binding = BINDINGS[metadata]
        name, _ = self._load(binding)
        return name or "code systems " + ", ".join(binding.code_systems) + " (no value set file)"

    def check(self, metadata: str, code: str, code_system: str) -> str | None:
        """None when ``code``/``code_system`` is allowed for ``metadata``; else the reason."""
        binding = BINDINGS[metadata]
        name, concepts = self._load(binding)
        if concepts is not None:
            if (code, code_system) in concepts:
                return None
            return f"{metadata} {code!r} (code system {code_system}) is not in value set {name}"
        if code_system in binding.code_systems:
            return None
        return f"{metadata} {code!r} has code system {code_system!r}, expected one of {', '.join(binding.code_systems)}"
