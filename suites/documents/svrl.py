"""SVRL (Schematron Validation Report Language) parsed into :class:`Issue` objects."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from lxml import etree

__all__ = ["Issue", "parse_svrl", "severity_of"]

SVRL = "http://purl.oclc.org/dsdl/svrl"
_Q = f"{{{SVRL}}}"
_CLARK = re.compile(r"Q\{urn:hl7-org:v3\}")
_OTHER_CLARK = re.compile(r"Q\{[^{}]*+\}")  # linear: an attempt never runs into the next


@dataclass(frozen=True)
class Issue:
    """One finding about a document (XSD or schematron)."""

    severity: str  # "error" | "warning" | "info"
    source: str  # "xsd" | "schematron" | "header" | "parse"
    message: str
    location: str | None = None
    rule_id: str | None = None  # assertion id, else the pattern id
    test: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for evidence."""
        return asdict(self)

    def __str__(self) -> str:
        where = f" at {self.location}" if self.location else ""
        where += f" (line {self.line})" if self.line else ""
        rule = f"[{self.rule_id}] " if self.rule_id else ""
        return f"{self.severity}: {rule}{self.message}{where}"


def severity_of(role: str | None, flag: str | None, *, default: str) -> str:
    """Map a schematron ``role``/``flag`` to error, warning or info."""
    value = (role or flag or "").strip().lower()
    if value in ("error", "fatal", "erreur"):
        return "error"
    if value in ("warning", "warn", "avertissement"):
        return "warning"
    if value in ("info", "information", "note"):
        return "info"
    return default


def _short_location(location: str | None) -> str | None:
    # Saxon's path() gives EQNames; the CDA namespace reads better with its usual prefix.
    if not location:
        return None
    return _OTHER_CLARK.sub("", _CLARK.sub("cda:", location))


# How this harness's compiled schematrons write SVRL (see .schematron): an XML declaration,
# then the root, which binds the ``svrl`` prefix; no comment, CDATA section or processing
# instruction.
_SVRL_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
_SVRL_ROOT = "<svrl:schematron-output "
_SVRL_BINDING = f' xmlns:svrl="{SVRL}"'


def _fired_without_results(svrl: str | bytes) -> int | None:
    """The number of fired rules of an SVRL report without any assertion result, read from
    its text; None when the text may have results or is not in the form the compiled
    schematrons write (the report is then parsed).

    Most documents pass every assertion: their SVRL holds only ``active-pattern`` and
    ``fired-rule`` elements, and parsing it as XML cost a tenth of a small document's
    validation. Element names cannot be escaped in XML text, so a text without
    ``failed-assert`` and ``successful-report`` has no such element. ``fired-rule``
    elements are counted as ``<svrl:fired-rule`` when that is every occurrence of
    ``fired-rule`` (none in a rule's context, say), the ``svrl`` prefix is bound once, on
    the root, and nothing but elements can hold a ``<`` (no comment, CDATA section or
    processing instruction after the declaration)."""
    text = svrl.decode("utf-8", "replace") if isinstance(svrl, bytes) else svrl
    if "failed-assert" in text or "successful-report" in text:
        return None
    if not text.startswith(_SVRL_DECLARATION + _SVRL_ROOT) or "<!" in text or "<?" in text[1:]:
        return None
    root_tag = text[len(_SVRL_DECLARATION) : text.find(">", len(_SVRL_DECLARATION))]
    if _SVRL_BINDING not in root_tag or text.count("xmlns:svrl=") != 1:
        return None
    fired = text.count("<svrl:fired-rule")
    return fired if fired == text.count("fired-rule") else None


def parse_svrl(
    svrl: str | bytes, *, line_of: Callable[[str | None], int | None] | None = None
) -> tuple[list[Issue], int]:
    """Return the issues of an SVRL report and the number of rules that fired.

    ``line_of`` maps an assertion's XPath ``location`` (as the SVRL gives it) to a line of
    the validated document.
    """
    fired = _fired_without_results(svrl)
    if fired is not None:
        return [], fired
    return _parse_svrl_xml(svrl, line_of=line_of)


def _parse_svrl_xml(
    svrl: str | bytes, *, line_of: Callable[[str | None], int | None] | None = None
) -> tuple[list[Issue], int]:
    """:func:`parse_svrl` by parsing the report as XML (every report the text reading
    declines)."""
    data = svrl.encode("utf-8") if isinstance(svrl, str) else svrl
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(data, parser)
    issues: list[Issue] = []
    pattern: str | None = None
    fired = 0
    for el in root.iter():
        if el.tag == f"{_Q}active-pattern":
            pattern = el.get("id")
        elif el.tag == f"{_Q}fired-rule":
            fired += 1
        elif el.tag in (f"{_Q}failed-assert", f"{_Q}successful-report"):
            text_el = el.find(f"{_Q}text")
            message = " ".join("".join(text_el.itertext()).split()) if text_el is not None else ""
            default = "error" if el.tag == f"{_Q}failed-assert" else "info"
            issues.append(
                Issue(
                    severity=severity_of(el.get("role"), el.get("flag"), default=default),
                    source="schematron",
                    message=message,
                    location=_short_location(el.get("location")),
                    rule_id=el.get("id") or pattern,
                    test=el.get("test"),
                    line=None if line_of is None else line_of(el.get("location")),
                )
            )
    return issues, fired
