"""Validation of one CDA document: safe parsing, CDA XSD, then the volet's schematron.

:class:`DocumentValidator` keeps the loaded XSD and the compiled schematrons in memory
(warm); the compiled XSLT is also cached on disk (see :mod:`.schematron`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from .material import AnsMaterial
from .schematron import CompiledSchematron, SchematronError
from .svrl import Issue, parse_svrl
from .volets import Volet, detect_volet, schematron_for

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "DocumentError",
    "DocumentValidator",
    "ValidationReport",
    "parse_document",
]

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
CDA_NS = "urn:hl7-org:v3"


class DocumentError(Exception):
    """The bytes are not a CDA document we can validate (too large, not XML, has a DTD)."""


def parse_document(data: bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> etree._ElementTree:
    """Parse untrusted CDA bytes: bounded size, no entities, no DTD, no network."""
    if len(data) > max_bytes:
        raise DocumentError(f"document is {len(data)} bytes, above the {max_bytes}-byte limit")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        dtd_validation=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise DocumentError(f"document is not well-formed XML: {exc}") from exc
    tree = root.getroottree()
    # A CDA document never needs a DOCTYPE; refusing it keeps entity tricks out of Saxon.
    if tree.docinfo.doctype:
        raise DocumentError("document declares a DOCTYPE, which a CDA document must not")
    if root.tag != f"{{{CDA_NS}}}ClinicalDocument":
        raise DocumentError(f"root element is {root.tag!s}, expected ClinicalDocument in {CDA_NS}")
    return tree


@dataclass
class ValidationReport:
    """What validation found for one document."""

    volet: Volet | None
    schematron: Path | None
    issues: list[Issue] = field(default_factory=list)
    svrl: str | None = None
    fired_rules: int = 0
    # SVRL of the profile schematrons run besides the volet's (file name -> SVRL text).
    profile_svrl: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[Issue]:
        """Issues of severity error."""
        return [i for i in self.issues if i.severity == "error"]

    @property
    def valid(self) -> bool:
        """True when neither the XSD nor the schematron reported an error."""
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary for evidence."""
        return {
            "volet": None if self.volet is None else self.volet.name,
            "template_id": None if self.volet is None else self.volet.template_id,
            "schematron": None if self.schematron is None else self.schematron.name,
            "profiles": sorted(self.profile_svrl),
            "valid": self.valid,
            "fired_rules": self.fired_rules,
            "issues": [i.to_dict() for i in self.issues],
        }


class DocumentValidator:
    """Validates CDA documents against the CDA XSD and the CI-SIS schematron of their volet."""

    def __init__(
        self,
        material: AnsMaterial,
        *,
        cache_dir: Path | None = None,
        pinned_versions: Mapping[str, str] | None = None,
        use_cache: bool = True,
        profiles: Sequence[Path] = (),
    ) -> None:
        """``profiles``: schematrons run on every document besides its volet's (e.g. the
        CI-SIS ``profils/CI-SIS_ModelesDeContenusCDA.sch``), relative to the schematron
        folder unless absolute."""
        self.material = material
        self.profiles = [p if p.is_absolute() else material.schematron_dir / p for p in map(Path, profiles)]
        self.cache_dir = cache_dir
        self.pinned_versions = dict(pinned_versions or {})
        self.use_cache = use_cache
        self._xsd: etree.XMLSchema | None = None
        self._compiled: dict[Path, CompiledSchematron] = {}
        self._lock = threading.Lock()

    def xsd(self) -> etree.XMLSchema:
        """The CDA XML Schema, loaded once (from the configured local file only)."""
        with self._lock:
            if self._xsd is None:
                parser = etree.XMLParser(resolve_entities=False, no_network=True)
                try:
                    self._xsd = etree.XMLSchema(etree.parse(str(self.material.xsd), parser))
                except (OSError, etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
                    raise DocumentError(f"cannot load CDA XSD {self.material.xsd}: {exc}") from exc
            return self._xsd

    def compiled(self, schematron: Path) -> CompiledSchematron:
        """The compiled schematron (memory, then disk cache, then compilation)."""
        key = schematron.resolve()
        with self._lock:
            if key not in self._compiled or not self.use_cache:
                self._compiled[key] = CompiledSchematron.load(key, cache_dir=self.cache_dir, use_cache=self.use_cache)
            return self._compiled[key]

    def xsd_issues(self, tree: etree._ElementTree) -> list[Issue]:
        """XSD errors of a parsed document, with line numbers."""
        schema = self.xsd()
        if schema.validate(tree):
            return []
        return [
            Issue(
                severity="error",
                source="xsd",
                message=e.message,
                line=e.line,
                location=e.path or None,
                rule_id="CDA-XSD",
            )
            for e in schema.error_log
        ]

    def resolve_schematron(self, volet: Volet) -> Path:
        """The schematron file for ``volet``; raises :class:`SchematronError` if absent."""
        path = schematron_for(self.material.schematron_dir, volet, pinned=self.pinned_versions)
        if path is None:
            raise SchematronError(
                f"no schematron for volet {volet.name} (templateId {volet.template_id}) in"
                f" {self.material.schematron_dir}"
            )
        return path

    def validate(self, data: bytes, *, schematron: Path | None = None) -> ValidationReport:
        """Validate CDA bytes: XSD, then the given schematron or the detected volet's one.

        A document whose volet is unknown gets the XSD only and an ``error`` issue saying
        so: it is never reported as valid without its volet's rules.
        """
        tree = parse_document(data)
        volet = detect_volet(tree.getroot())
        issues = self.xsd_issues(tree)
        if schematron is None:
            if volet is None:
                issues.append(
                    Issue(
                        severity="error",
                        source="schematron",
                        rule_id="volet",
                        message="no CI-SIS volet templateId found: the document cannot be matched to a schematron",
                    )
                )
                return ValidationReport(volet=None, schematron=None, issues=issues)
            schematron = self.resolve_schematron(volet)
        text = etree.tostring(tree, encoding="unicode")
        svrl = self.compiled(schematron).run(text)
        sch_issues, fired = parse_svrl(svrl)
        report = ValidationReport(
            volet=volet,
            schematron=schematron,
            issues=issues + sch_issues,
            svrl=svrl,
            fired_rules=fired,
        )
        for profile in self.profiles:
            profile_svrl = self.compiled(profile).run(text)
            profile_issues, profile_fired = parse_svrl(profile_svrl)
            report.issues.extend(profile_issues)
            report.fired_rules += profile_fired
            report.profile_svrl[profile.name] = profile_svrl
        return report
