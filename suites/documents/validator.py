"""Validation of one CDA document: safe parsing, CDA XSD, the volet's schematron and,
when asked, the Ségur header rules (:class:`HeaderRules`).

The loaded XSD and the compiled schematrons are kept per process (every
:class:`DocumentValidator` shares them); the compiled XSLT is also cached on disk (see
:mod:`.schematron`). A new process pays the XSD and each volet's schematron once, on its
first document of that volet.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lxml import etree

from .header_rules import (
    VALID_INS_OIDS,
    author_id_issues,
    clinical_date_issues,
    custodian_id_issues,
    identity_trait_issues,
    ins_issues,
)
from .material import AnsMaterial
from .schematron import CompiledSchematron, SchematronError, parse_for_saxon
from .svrl import Issue, parse_svrl
from .volets import CISIS_TEMPLATE_IDS, Volet, detect_volet, schematron_for

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "DocumentError",
    "DocumentTooLarge",
    "DocumentValidator",
    "HeaderRules",
    "ValidationReport",
    "declares_cisis",
    "element_at",
    "load_xsd",
    "parse_document",
]

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
_NAMED_XSD_PATHS = 200
CDA_NS = "urn:hl7-org:v3"


class DocumentError(Exception):
    """The bytes are not a CDA document we can validate (too large, not XML, has a DTD)."""


class DocumentTooLarge(DocumentError):
    """The document is above the size this harness reads (a limit, not a verdict on it)."""


def parse_document(data: bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> etree._ElementTree:
    """Parse untrusted CDA bytes: bounded size, no entities, no DTD, no network."""
    if len(data) > max_bytes:
        raise DocumentTooLarge(f"document is {len(data)} bytes, above the {max_bytes}-byte limit")
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


def declares_cisis(root: etree._Element) -> bool:
    """True when the document declares the CI-SIS conformance templateIds."""
    roots = {t.get("root") for t in root.findall(f"{{{CDA_NS}}}templateId")}
    return all(t in roots for t in CISIS_TEMPLATE_IDS)


# CDA XML Schemas of this process, by (file, mtime, size): lxml's XMLSchema keeps its last
# error log on the object, so each one validates under its own lock.
_SCHEMAS: dict[tuple[Path, int, int], tuple[etree.XMLSchema, threading.Lock]] = {}
_SCHEMAS_LOCK = threading.Lock()


def load_xsd(path: Path) -> tuple[etree.XMLSchema, threading.Lock]:
    """The XML Schema at ``path`` (from the local file only), loaded once per process."""
    path = Path(path).resolve()
    try:
        stat = path.stat()
    except OSError as exc:
        raise DocumentError(f"cannot load CDA XSD {path}: {exc}") from exc
    key = (path, stat.st_mtime_ns, stat.st_size)
    with _SCHEMAS_LOCK:
        if key not in _SCHEMAS:
            parser = etree.XMLParser(resolve_entities=False, no_network=True)
            try:
                _SCHEMAS[key] = (etree.XMLSchema(etree.parse(str(path), parser)), threading.Lock())
            except (OSError, etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
                raise DocumentError(f"cannot load CDA XSD {path}: {exc}") from exc
        return _SCHEMAS[key]


_STEP = re.compile(r"(?:Q\{(?P<ns>[^}]*)\}|(?P<prefix>[\w.-]+):)?(?P<local>[\w.-]+)(?:\[(?P<index>\d+)\])?")


def _steps(location: str) -> list[str]:
    """``location`` split on ``/`` outside ``Q{...}`` (namespace URIs contain slashes)."""
    steps: list[str] = []
    current: list[str] = []
    depth = 0
    for char in location:
        if char == "/" and depth == 0:
            steps.append("".join(current))
            current = []
            continue
        depth += char == "{"
        depth -= char == "}"
        current.append(char)
    steps.append("".join(current))
    return [step for step in steps if step]


def element_at(root: etree._Element, location: str | None) -> etree._Element | None:
    """The element a location names, else its nearest existing ancestor (None if unreadable).

    Reads Saxon's ``path()`` form (``/Q{urn:hl7-org:v3}ClinicalDocument[1]/...``) and the
    plain form of the header rules (``/ClinicalDocument/author[2]/assignedAuthor``, names in
    the CDA namespace). Attribute, text and other non-element steps name their owner element.
    """
    if not location or not location.startswith("/"):
        return None
    node: etree._Element | None = None
    for step in _steps(location):
        if step.startswith("@") or "(" in step:
            break
        m = _STEP.fullmatch(step)
        if m is None:
            break
        ns = m.group("ns")
        if ns is None:
            ns = CDA_NS if m.group("prefix") in (None, "cda") else None
            if ns is None:
                break
        tag = f"{{{ns}}}{m.group('local')}" if ns else m.group("local")
        index = int(m.group("index") or 1)
        if node is None:
            if root.tag != tag or index != 1:
                return None
            node = root
            continue
        matches = [child for child in node if child.tag == tag]
        if len(matches) < index:
            break
        node = matches[index - 1]
    return node


@dataclass(frozen=True)
class HeaderRules:
    """The Ségur header rules :meth:`DocumentValidator.validate` applies when asked (the
    ``documents.header.*`` checks apply the same functions, one requirement each).

    ``qualified``: whether the patient's identity is qualified (None: unknown, only the INS
    OID and key rules apply).
    """

    qualified: bool | None = None
    allowed_ins_oids: tuple[str, ...] = VALID_INS_OIDS
    require_birthplace: bool = True
    check_luhn: bool = False

    def issues(self, root: etree._Element) -> list[Issue]:
        """Every header issue of a parsed ``ClinicalDocument``."""
        return [
            *ins_issues(root, qualified=self.qualified, allowed_oids=self.allowed_ins_oids),
            *identity_trait_issues(root, require_birthplace=self.require_birthplace),
            *author_id_issues(root, check_luhn=self.check_luhn),
            *custodian_id_issues(root, check_luhn=self.check_luhn),
            *clinical_date_issues(root),
        ]


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
    header_rules: bool = False
    # The document declares the CI-SIS conformance templateIds.
    cisis: bool = False

    @property
    def errors(self) -> list[Issue]:
        """Issues of severity error."""
        return [i for i in self.issues if i.severity == "error"]

    @property
    def valid(self) -> bool:
        """True when neither the XSD nor the schematron reported an error."""
        return not self.errors

    def blocking(self, *, fail_on_warnings: bool = False) -> list[Issue]:
        """The issues that make the document invalid (errors, and warnings if asked)."""
        kept = ("error", "warning") if fail_on_warnings else ("error",)
        return [i for i in self.issues if i.severity in kept]

    def outcome(self, *, fail_on_warnings: bool = False) -> str:
        """``valid``, ``invalid`` or ``undecided``: a CI-SIS document of a volet this
        harness does not know, with nothing else wrong, gets no verdict."""
        bad = self.blocking(fail_on_warnings=fail_on_warnings)
        if self.volet is None and self.cisis and all(i.source == "schematron" for i in bad):
            return "undecided"
        return "invalid" if bad else "valid"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary for evidence."""
        return {
            "volet": None if self.volet is None else self.volet.name,
            "template_id": None if self.volet is None else self.volet.template_id,
            "schematron": None if self.schematron is None else self.schematron.name,
            "profiles": sorted(self.profile_svrl),
            "header_rules": self.header_rules,
            "valid": self.valid,
            "outcome": self.outcome(),
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
        self._compiled: dict[Path, CompiledSchematron] = {}
        self._resolved: dict[tuple[str, str | None], Path] = {}
        self._lock = threading.Lock()
        self._xsd: tuple[etree.XMLSchema, threading.Lock] | None = None

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Sent to another process (`homolog validate cda --jobs`) as its configuration: the
        # compiled schematrons, the XSD and the locks are this process's; the copy builds its own.
        config = (self.material, self.cache_dir, self.pinned_versions, self.use_cache, self.profiles)
        return (_rebuilt_validator, (type(self), *config))

    def xsd(self) -> etree.XMLSchema:
        """The CDA XML Schema (loaded once per process, from the configured local file only)."""
        return self._schema()[0]

    def _schema(self) -> tuple[etree.XMLSchema, threading.Lock]:
        # Kept after the first document: resolving and stat-ing the file for each one cost
        # a tenth of a small document's validation.
        if self._xsd is None:
            self._xsd = load_xsd(self.material.xsd)
        return self._xsd

    def compiled(self, schematron: Path) -> CompiledSchematron:
        """The compiled schematron: this validator's, the process's, the disk cache's, or new."""
        with self._lock:
            # By the path as given too: resolving it for every document cost as much as
            # parsing a small one.
            if self.use_cache and schematron in self._compiled:
                return self._compiled[schematron]
            key = schematron.resolve()
            if key not in self._compiled or not self.use_cache:
                self._compiled[key] = CompiledSchematron.load(key, cache_dir=self.cache_dir, use_cache=self.use_cache)
            self._compiled[schematron] = self._compiled[key]
            return self._compiled[key]

    def xsd_issues(self, tree: etree._ElementTree) -> list[Issue]:
        """XSD errors of a parsed document, with line numbers."""
        schema, lock = self._schema()
        with lock:
            if schema.validate(tree):
                return []
            errors = list(schema.error_log)
        return [
            Issue(
                severity="error",
                source="xsd",
                message=e.message,
                line=e.line,
                # Named paths for the first errors only: a hostile document can have many.
                location=_named_path(tree, e.path) if n < _NAMED_XSD_PATHS else e.path or None,
                rule_id="CDA-XSD",
            )
            for n, e in enumerate(errors)
        ]

    def resolve_schematron(self, volet: Volet) -> Path:
        """The schematron file for ``volet``; raises :class:`SchematronError` if absent.

        Decided once per validator and volet: listing the schematron folder for every
        document cost as much as parsing a small one."""
        key = (volet.name, volet.extension)
        with self._lock:
            path = self._resolved.get(key)
        if path is None:
            path = schematron_for(self.material.schematron_dir, volet, pinned=self.pinned_versions)
            if path is not None:
                with self._lock:
                    self._resolved[key] = path
        if path is None:
            raise SchematronError(
                f"no schematron for volet {volet.name} (templateId {volet.template_id}) in"
                f" {self.material.schematron_dir}"
            )
        return path

    def validate(
        self,
        data: bytes,
        *,
        schematron: Path | None = None,
        header: HeaderRules | None = None,
    ) -> ValidationReport:
        """Validate CDA bytes: XSD, then the given schematron or the detected volet's one,
        then the profile schematrons, then ``header`` rules when given.

        A document whose volet is unknown gets the XSD (and header rules) only and an
        ``error`` issue saying so: it is never reported as valid without its volet's rules.
        Schematron and header issues carry the line of the element they name.
        """
        tree = parse_document(data)
        root = tree.getroot()
        volet = detect_volet(root)
        issues = self.xsd_issues(tree)
        header_issues = [] if header is None else header.issues(root)
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
                return ValidationReport(
                    volet=None,
                    schematron=None,
                    issues=issues + _with_lines(root, header_issues),
                    header_rules=header is not None,
                    cisis=declares_cisis(root),
                )
            schematron = self.resolve_schematron(volet)
        node = parse_for_saxon(_source_for_saxon(data, tree))
        svrl = self.compiled(schematron).run(node)
        sch_issues, fired = parse_svrl(svrl, line_of=lambda location: _line(root, location))
        report = ValidationReport(
            volet=volet,
            schematron=schematron,
            issues=issues + sch_issues,
            svrl=svrl,
            fired_rules=fired,
            header_rules=header is not None,
            cisis=declares_cisis(root),
        )
        for profile in self.profiles:
            profile_svrl = self.compiled(profile).run(node)
            profile_issues, profile_fired = parse_svrl(profile_svrl, line_of=lambda location: _line(root, location))
            report.issues.extend(profile_issues)
            report.fired_rules += profile_fired
            report.profile_svrl[profile.name] = profile_svrl
        report.issues.extend(_with_lines(root, header_issues))
        return report


def _rebuilt_validator(
    cls: type[DocumentValidator],
    material: AnsMaterial,
    cache_dir: Path | None,
    pinned_versions: Mapping[str, str],
    use_cache: bool,
    profiles: Sequence[Path],
) -> DocumentValidator:
    return cls(material, cache_dir=cache_dir, pinned_versions=pinned_versions, use_cache=use_cache, profiles=profiles)


# From this size, Saxon reads a document's bytes faster than its text (measured: about
# 0.06 ms slower at 5 kB, even at 48 kB, 1 ms faster at 340 kB); both give the same tree.
_SAXON_BYTES_FROM = 48 * 1024


def _source_for_saxon(data: bytes, tree: etree._ElementTree) -> bytes | str:
    """The document for Saxon when it is UTF-8 (lxml parsed it and refused any DOCTYPE):
    its own bytes, or its text when small; else lxml's serialisation as text, which costs
    a copy."""
    if (tree.docinfo.encoding or "").upper() == "UTF-8":
        if len(data) >= _SAXON_BYTES_FROM:
            return data
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
    return etree.tostring(tree, encoding="unicode")


def _named_path(tree: etree._ElementTree, path: str | None) -> str | None:
    """libxml2's ``/*/*[14]/*[1]`` as ``/cda:ClinicalDocument[1]/cda:recordTarget[1]/...``,
    the form the schematron issues use (other namespaces are left out, as there)."""
    if not path:
        return None
    try:
        found = tree.xpath(path)
    except etree.XPathError:
        return path
    if not found or not isinstance(found[0], etree._Element):
        return path
    steps = []
    node: etree._Element | None = found[0]
    while node is not None:
        qname = etree.QName(node)
        parent = node.getparent()
        index = 1 if parent is None else [c for c in parent if c.tag == node.tag].index(node) + 1
        prefix = "cda:" if qname.namespace == CDA_NS else ""
        steps.append(f"{prefix}{qname.localname}[{index}]")
        node = parent
    return "/" + "/".join(reversed(steps))


def _line(root: etree._Element, location: str | None) -> int | None:
    node = element_at(root, location)
    return None if node is None else node.sourceline


def _with_lines(root: etree._Element, issues: list[Issue]) -> list[Issue]:
    return [i if i.line is not None else replace(i, line=_line(root, i.location)) for i in issues]
