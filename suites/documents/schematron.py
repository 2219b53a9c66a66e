"""ISO Schematron (``queryBinding="xslt2"``) compiled to XSLT 3 and run with SaxonC-HE.

No registry ships the XSLT 2 schematron skeleton, and lxml's bundled skeleton is XSLT 1
(it cannot carry the XPath 2 the CI-SIS schematrons use), so this module compiles the
schematron itself:

- ``include`` is replaced by the referenced element (relative to the including file);
- abstract patterns are instantiated for every ``pattern is-a`` with its ``param`` values
  substituted into the query attributes (``context``, ``test``, ``select``, ``value``,
  ``path``);
- abstract rules are pulled into the rules that ``extends`` them (recursively);
- the phase (``defaultPhase`` unless one is given, ``#ALL`` for every pattern) selects
  the patterns; schema-, phase- and pattern-level ``let`` become global variables, rule
  ``let`` local ones;
- each pattern is an XSLT mode: a node fires at most the first matching rule of a pattern
  (rule order gives template priority), as the Schematron standard says; one walk over
  the document offers each element to the modes that have a rule for its name, a rule
  ``*[P]`` whose predicate needs a child it has (see :func:`element_offer`), or a rule
  for any element (see :func:`compile_to_xslt`);
- ``assert``/``report`` produce SVRL ``failed-assert``/``successful-report`` with ``id``,
  ``role``, ``flag``, the XPath ``location`` and the message (``value-of``, ``name``,
  ``emph``/``dir``/``span`` flattened), plus ``diagnostics`` references.

The generated stylesheet carries ``xml:base`` = the schematron's own URI so that
``document()`` calls with relative paths (the CI-SIS value sets) resolve as the authors
intended. Compiled stylesheets are cached on disk by the hash of every source file
(schematron and its includes), the phase and :data:`COMPILER_VERSION`.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

__all__ = [
    "COMPILER_VERSION",
    "CompiledSchematron",
    "ElementOffer",
    "SchematronError",
    "compile_to_xslt",
    "default_cache_dir",
    "element_offer",
    "load_schematron",
    "parse_for_saxon",
    "source_files",
]

COMPILER_VERSION = "7"
SCH = "http://purl.oclc.org/dsdl/schematron"
XSL = "http://www.w3.org/1999/XSL/Transform"
SVRL = "http://purl.oclc.org/dsdl/svrl"
XML_NS = "http://www.w3.org/XML/1998/namespace"
# Marks each SVRL result with its pattern during the walk (removed from the output).
_MARK_NS = "urn:homolog:schematron-compiler"
_MARK_PREFIX = "homolog-mark"
_Q = f"{{{SCH}}}"
# Query attributes in which abstract-pattern parameters are substituted.
_QUERY_ATTRS = ("context", "test", "select", "value", "path", "subject")
_MAX_INCLUDE_DEPTH = 20


class SchematronError(Exception):
    """A schematron cannot be read or compiled (missing file, bad include, bad XPath)."""


def _parser() -> etree.XMLParser:
    # Schematrons are configuration, but they still get the safe parser: no entities,
    # no DTD, no network.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _parse_file(path: Path) -> etree._Element:
    try:
        return etree.parse(str(path), _parser()).getroot()
    except OSError as exc:
        raise SchematronError(f"cannot read schematron file {path}: {exc}") from exc
    except etree.XMLSyntaxError as exc:
        raise SchematronError(f"schematron file {path} is not well-formed XML: {exc}") from exc


def _resolve_href(folder: Path, href: str) -> Path | None:
    """The included file; names are matched without case when the exact one is absent,
    because the ANS material was written on a case-insensitive file system."""
    exact = (folder / href).resolve()
    if exact.is_file():
        return exact
    current = folder.resolve()
    for part in Path(href).parts:
        if part == "..":
            current = current.parent
            continue
        if part == ".":
            continue
        candidate = current / part
        if not candidate.exists():
            if not current.is_dir():
                return None
            matches = [c for c in current.iterdir() if c.name.lower() == part.lower()]
            if len(matches) != 1:
                return None
            candidate = matches[0]
        current = candidate
    return current if current.is_file() else None


def _expand_includes(elem: etree._Element, base: Path, seen: list[Path], depth: int) -> None:
    if depth > _MAX_INCLUDE_DEPTH:
        raise SchematronError(f"includes nested deeper than {_MAX_INCLUDE_DEPTH} at {base}")
    for inc in list(elem.iter(f"{_Q}include")):
        href = inc.get("href")
        if not href:
            raise SchematronError(f"include without href in {base}")
        target = _resolve_href(base.parent, href)
        if target is None:
            raise SchematronError(f"{base}: included file {href} not found (looked at {(base.parent / href)})")
        seen.append(target)
        included = _parse_file(target)
        _expand_includes(included, target, seen, depth + 1)
        parent = inc.getparent()
        if parent is None:
            raise SchematronError(f"{base}: include cannot be the root element")
        included.tail = inc.tail
        parent.replace(inc, included)


def load_schematron(path: Path) -> tuple[etree._Element, list[Path]]:
    """Parse a schematron and expand its includes; return the tree and every file read."""
    path = Path(path).resolve()
    if not path.is_file():
        raise SchematronError(f"schematron not found: {path}")
    root = _parse_file(path)
    if root.tag != f"{_Q}schema":
        raise SchematronError(f"{path} is not an ISO schematron (root is {root.tag!s})")
    seen = [path]
    _expand_includes(root, path, seen, 0)
    return root, seen


def source_files(path: Path) -> list[Path]:
    """Every file the schematron at ``path`` reads through ``include`` (itself first)."""
    return load_schematron(path)[1]


def _substitute(text: str, params: dict[str, str]) -> str:
    if "$" not in text or not params:
        return text
    # Longest names first so that $a_b is not eaten by $a; the look-ahead stops at the
    # end of an XML name.
    names = sorted(params, key=len, reverse=True)
    pattern = re.compile(r"\$(" + "|".join(re.escape(n) for n in names) + r")(?![\w.\-])")
    return pattern.sub(lambda m: params[m.group(1)], text)


def _instantiate(abstract: etree._Element, instance: etree._Element) -> etree._Element:
    params = {p.get("name", ""): p.get("value", "") for p in instance.iter(f"{_Q}param")}
    pattern = copy.deepcopy(abstract)
    for node in pattern.iter():
        if not isinstance(node.tag, str):
            continue
        for attr in _QUERY_ATTRS:
            if attr in node.attrib:
                node.set(attr, _substitute(node.get(attr, ""), params))
    pattern.attrib.pop("abstract", None)
    if instance.get("id"):
        pattern.set("id", instance.get("id", ""))
    else:
        pattern.attrib.pop("id", None)
    return pattern


@dataclass
class _Model:
    title: str
    schema_version: str
    phase: str
    namespaces: dict[str, str]
    global_lets: list[etree._Element] = field(default_factory=list)
    patterns: list[etree._Element] = field(default_factory=list)
    abstract_rules: dict[str, etree._Element] = field(default_factory=dict)
    diagnostics: dict[str, etree._Element] = field(default_factory=dict)


def _build_model(root: etree._Element, phase: str | None) -> _Model:
    namespaces = {ns.get("prefix", ""): ns.get("uri", "") for ns in root.iter(f"{_Q}ns")}
    title_el = root.find(f"{_Q}title")
    model = _Model(
        title=" ".join("".join(title_el.itertext()).split()) if title_el is not None else "",
        schema_version=root.get("schemaVersion", ""),
        phase=phase or root.get("defaultPhase") or "#ALL",
        namespaces=namespaces,
    )
    all_patterns = list(root.iter(f"{_Q}pattern"))
    abstract_patterns = {p.get("id", ""): p for p in all_patterns if p.get("abstract") == "true"}
    for rule in root.iter(f"{_Q}rule"):
        if rule.get("abstract") == "true" and rule.get("id"):
            model.abstract_rules[rule.get("id", "")] = rule
    for diag in root.iter(f"{_Q}diagnostic"):
        if diag.get("id"):
            model.diagnostics[diag.get("id", "")] = diag

    concrete: list[etree._Element] = []
    for pat in all_patterns:
        if pat.get("abstract") == "true":
            continue
        if pat.get("is-a"):
            base = abstract_patterns.get(pat.get("is-a", ""))
            if base is None:
                raise SchematronError(
                    f"pattern {pat.get('id')!r} is-a {pat.get('is-a')!r}: no abstract pattern with that id"
                )
            concrete.append(_instantiate(base, pat))
        else:
            concrete.append(pat)

    model.global_lets.extend(root.findall(f"{_Q}let"))
    if model.phase == "#ALL":
        model.patterns = concrete
    else:
        phases = {ph.get("id"): ph for ph in root.iter(f"{_Q}phase")}
        if model.phase not in phases:
            raise SchematronError(f"phase {model.phase!r} is not defined; phases: {sorted(k for k in phases if k)}")
        ph = phases[model.phase]
        model.global_lets.extend(ph.findall(f"{_Q}let"))
        active = [a.get("pattern") for a in ph.findall(f"{_Q}active")]
        by_id = {p.get("id"): p for p in concrete if p.get("id")}
        missing = [a for a in active if a not in by_id]
        if missing:
            raise SchematronError(f"phase {model.phase!r} activates unknown patterns {missing}")
        model.patterns = [by_id[a] for a in active if a]
    for pat in model.patterns:
        model.global_lets.extend(pat.findall(f"{_Q}let"))
    return model


def _x(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{XSL}}}{tag}", attrs)


def _avt(text: str) -> str:
    # Literal result attributes are attribute value templates: braces must be doubled.
    return text.replace("{", "{{").replace("}", "}}")


def _variable(parent: etree._Element, let: etree._Element) -> None:
    name = let.get("name", "")
    if let.get("value") is not None:
        _x(parent, "variable", name=name, select=let.get("value", ""))
    else:
        var = _x(parent, "variable", name=name)
        for child in let:
            var.append(copy.deepcopy(child))


def _message(parent: etree._Element, source: etree._Element) -> None:
    """Copy a message's mixed content into ``svrl:text`` generation instructions."""
    if source.text:
        _x(parent, "text").text = source.text
    for child in source:
        if not isinstance(child.tag, str):
            pass  # comments and PIs are dropped at parse time; only their tail counts
        elif child.tag == f"{_Q}value-of":
            _x(parent, "value-of", select=child.get("select", "."))
        elif child.tag == f"{_Q}name":
            _x(parent, "value-of", select=f"name({child.get('path', '.')})")
        else:
            _message(parent, child)
        if child.tail:
            _x(parent, "text").text = child.tail


def _rule_items(rule: etree._Element, model: _Model, stack: tuple[str, ...] = ()) -> Iterable[etree._Element]:
    """The lets, asserts and reports of a rule, with ``extends`` expanded in place."""
    for child in rule:
        if child.tag == f"{_Q}extends":
            ref = child.get("rule", "")
            if ref in stack:
                raise SchematronError(f"abstract rule {ref!r} extends itself")
            base = model.abstract_rules.get(ref)
            if base is None:
                raise SchematronError(f"rule extends unknown abstract rule {ref!r}")
            yield from _rule_items(base, model, (*stack, ref))
        elif child.tag in (f"{_Q}let", f"{_Q}assert", f"{_Q}report"):
            yield child


def _assertion(parent: etree._Element, item: etree._Element, model: _Model) -> None:
    is_assert = item.tag == f"{_Q}assert"
    test = item.get("test", "")
    if is_assert:
        choose = _x(parent, "choose")
        _x(choose, "when", test=test)
        holder = _x(choose, "otherwise")
        out_tag = "failed-assert"
    else:
        holder = _x(parent, "if", test=test)
        out_tag = "successful-report"
    out = etree.SubElement(holder, f"{{{SVRL}}}{out_tag}", {"test": _avt(test)})
    for attr in ("id", "role", "flag", "see"):
        if item.get(attr):
            out.set(attr, _avt(item.get(attr, "")))
    loc = _x(out, "attribute", name="location")
    _x(loc, "value-of", select="path(.)")
    for diag_id in (item.get("diagnostics") or "").split():
        diag = model.diagnostics.get(diag_id)
        if diag is None:
            raise SchematronError(f"assertion refers to unknown diagnostic {diag_id!r}")
        ref = etree.SubElement(out, f"{{{SVRL}}}diagnostic-reference", {"diagnostic": diag_id})
        _message(etree.SubElement(ref, f"{{{SVRL}}}text"), diag)
    _message(etree.SubElement(out, f"{{{SVRL}}}text"), item)


def _strip_predicates(expr: str) -> str:
    """``expr`` without string literals and without the content of ``[...]`` and ``(...)``."""
    out: list[str] = []
    depth = 0
    quote = ""
    for char in expr:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[(":
            if depth == 0:
                out.append(char)
            depth += 1
        elif char in "])":
            depth = max(depth - 1, 0)
            if depth == 0:
                out.append(char)
        elif depth == 0:
            out.append(char)
    return "".join(out)


def may_match_attributes(context: str) -> bool:
    """Whether the XSLT pattern ``context`` can match an attribute node (conservative).

    Attributes are visited only for the patterns that have such a rule: most CI-SIS
    documents carry as many attributes as elements, and visiting them all per pattern
    was half of the validation time. Unsure means yes.
    """
    outline = _strip_predicates(context)
    for branch in re.split(r"\|| union ", outline):
        step = re.split(r"//?", branch.strip())[-1].strip()
        if step.startswith(("@", "attribute::", "attribute(")) or step in (".", ""):
            return True
        if step.endswith(")") and not re.fullmatch(
            r"(child::)?(node|text|comment|processing-instruction|element|document-node)\(\)", step
        ):
            return True  # a function call or typed test we do not read: assume it can
    return False


_NAME_STEP = re.compile(r"(?:child::)?(?:([\w.-]+):)?([\w.-]+)(?:\[\])*")


def element_names(context: str, namespaces: Mapping[str, str]) -> frozenset[str] | None:
    """The names (``{uri}local``) of the elements the XSLT pattern ``context`` can match,
    or None when it can match an element of any name (``*``, ``node()``, a function, an
    axis or a prefix this code does not read: unsure means any).

    The walk offers an element only to the patterns that have a rule for its name or a
    rule for any name: offering each element to every pattern was most of a run's cost.
    """
    names: set[str] = set()
    for branch in re.split(r"\|| union ", _strip_predicates(context)):
        step = re.split(r"//?", branch.strip())[-1].strip()
        if step == "" or step.startswith(("@", "attribute::", "attribute(")):
            continue  # the document node or an attribute: not an element
        m = _NAME_STEP.fullmatch(step)
        if m is None:
            return None
        prefix, local = m.groups()
        if prefix is not None and prefix not in namespaces:
            return None
        names.add(f"{{{namespaces[prefix] if prefix else ''}}}{local}")
    return frozenset(names)


def _split_top(expr: str, separators: tuple[str, ...]) -> list[str]:
    """``expr`` split on ``separators`` found outside string literals, ``[...]`` and ``(...)``."""
    parts: list[str] = []
    depth, quote, start, i = 0, "", 0, 0
    while i < len(expr):
        char = expr[i]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        elif depth == 0:
            sep = next((sep for sep in separators if expr.startswith(sep, i)), None)
            if sep is not None:
                parts.append(expr[start:i])
                i = start = i + len(sep)
                continue
        i += 1
    parts.append(expr[start:])
    return parts


def _predicates(text: str) -> list[str] | None:
    """The contents of the ``[...]`` groups ``text`` consists of, or None when it has
    anything else outside them."""
    groups: list[str] = []
    depth, quote, start = 0, "", 0
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif depth == 0 and char != "[":
            return None
        elif char in "'\"":
            quote = char
        elif char in "[(":
            depth += 1
            start = i + 1 if depth == 1 else start
        elif char in "])":
            depth -= 1
            if depth == 0:
                groups.append(text[start:i])
    return groups if depth == 0 and not quote else None


_NAME = r"[^\W\d][\w.-]*"
# A child element name test: ``cda:templateId``, ``*:templateId``, ``child::x``.
_CHILD_NAME = re.compile(rf"(?:child::)?(?:(?P<prefix>{_NAME}|\*):)?(?P<local>{_NAME})")
# Any step of a plain path: an element or attribute name test, possibly a wildcard.
_PATH_NAME = re.compile(rf"(?:child::|@|attribute::)?(?:(?:{_NAME}|\*):)?(?:{_NAME}|\*)")


def _step_name(step: str, pattern: re.Pattern[str]) -> re.Match[str] | None:
    """``step`` read as a name test followed only by predicates, else None."""
    step = step.strip()
    m = pattern.match(step)
    return m if m is not None and _predicates(step[m.end() :]) is not None else None


def _path_requires(path: str, namespaces: Mapping[str, str]) -> str | None:
    """For a relative path of name steps whose first step is a child element
    (``cda:templateId/@root``): that child's test, as the path is empty without it.
    None for anything else (operators, functions, unions, absolute or ``//`` paths)."""
    path = path.strip()
    if path.startswith("./"):
        path = path[2:]
    steps = _split_top(path, ("/",))
    if any(_step_name(step, _PATH_NAME) is None for step in steps):
        return None
    first = _step_name(steps[0], _CHILD_NAME)
    if first is None:
        return None
    prefix, local = first.group("prefix"), first.group("local")
    if prefix == "*":
        return f"*:{local}"
    if prefix is not None and prefix not in namespaces:
        return None
    return f"Q{{{namespaces[prefix] if prefix else ''}}}{local}"


def _term_requires(term: str, namespaces: Mapping[str, str]) -> str | None:
    """The child a predicate term without ``and``/``or`` needs to be true, when the term is
    a path (true only when not empty) or a path compared with ``=``/``!=`` (a general
    comparison with an empty side is false); else None."""
    if len(_split_top(term, ("<", ">"))) != 1:
        return None  # other comparisons, arrows: not read
    sides = _split_top(term, ("!=", "="))
    return _path_requires(sides[0], namespaces) if len(sides) <= 2 else None


def required_child(predicate: str, namespaces: Mapping[str, str]) -> str | None:
    """The XPath test of a child element without which ``predicate`` is false (for
    ``cda:templateId/@root = 'x'``: ``Q{urn:hl7-org:v3}templateId``), else None.

    Read conservatively: a disjunction needs what each of its branches needs, a conjunction
    what one of its terms needs; a term is read only in the forms of
    :func:`_term_requires`. Anything else (``not()``, functions, variables, parentheses,
    other operators) needs nothing known.
    """
    branches = _split_top(f" {predicate} ", (" or ",))
    needs = set()
    for branch in branches:
        terms = _split_top(branch, (" and ",))
        found = next((t for t in (_term_requires(term, namespaces) for term in terms) if t is not None), None)
        if found is None:
            return None
        needs.add(found)
    return needs.pop() if len(needs) == 1 else None


@dataclass(frozen=True)
class ElementOffer:
    """The elements the walk offers a pattern's mode: those named in ``names`` (``{uri}local``),
    those having a child that one of ``children`` (XPath tests) selects, or all of them
    (``anything``)."""

    names: frozenset[str] = frozenset()
    children: frozenset[str] = frozenset()
    anything: bool = False

    def __or__(self, other: ElementOffer) -> ElementOffer:
        return ElementOffer(self.names | other.names, self.children | other.children, self.anything or other.anything)


def element_offer(context: str, namespaces: Mapping[str, str]) -> ElementOffer:
    """The elements the XSLT pattern ``context`` can match, as an :class:`ElementOffer`.

    Beyond :func:`element_names`, a last step ``*[P]`` whose predicate needs a child (see
    :func:`required_child`, e.g. the CI-SIS ``*[cda:templateId/@root = '...']`` rules) is
    offered only the elements with that child: offering every element to such a rule, and
    evaluating its predicate there, was the largest part of a schematron run.
    """
    names = element_names(context, namespaces)
    if names is not None:
        return ElementOffer(names=names)
    offer = ElementOffer()
    for branch in _split_top(context, ("|", " union ")):
        step = _split_top(branch.strip(), ("/",))[-1].strip()
        single = element_names(step, namespaces) if step else frozenset()
        if single is not None:
            offer |= ElementOffer(names=single)
            continue
        groups = _predicates(step[1:]) if step.startswith("*") else None
        child = required_child(groups[0], namespaces) if groups is not None and len(groups) == 1 else None
        if child is None:
            return ElementOffer(anything=True)
        offer |= ElementOffer(children=frozenset({child}))
    return offer


_LITERAL = re.compile(r"""\s*(?:'([^']*)'|"([^"]*)")\s*""")
_DOCUMENT_CALL = re.compile(r"""\bdocument\(\s*(?:\$(?P<var>[\w.-]+)|'(?P<lit>[^'#]*)')\s*\)""")


class _StaticDocuments:
    """``document()`` calls on a fixed file (a literal, or a global ``let`` holding one)
    become static variables: Saxon reads each value set once, when it compiles the
    stylesheet, instead of once per validated document. A file absent at compile time
    keeps its ``document()`` call, so the error stays where it was: at run time, for the
    documents that reach that rule."""

    def __init__(self, sheet: etree._Element, schematron: Path, lets: list[etree._Element]) -> None:
        self.sheet = sheet
        self.base = schematron
        self.paths: dict[str, str] = {}
        for let in lets:
            m = _LITERAL.fullmatch(let.get("value") or "")
            if m and let.get("name") and let.get("name") not in self.paths:
                self.paths[let.get("name", "")] = m.group(1) if m.group(1) is not None else m.group(2)
        self.names: dict[str, str] = {}

    def _variable_for(self, relative: str) -> str | None:
        target = (self.base.parent / relative).resolve()
        if not relative or not target.is_file():
            return None
        uri = target.as_uri()
        if uri not in self.names:
            name = f"homolog-doc-{len(self.names)}"
            self.names[uri] = name
            var = etree.Element(f"{{{XSL}}}variable", {"name": name, "static": "yes", "select": f"doc('{uri}')"})
            # Static variables come first: they must be declared before they are used.
            self.sheet.insert(1 + len(self.names) - 1, var)
        return self.names[uri]

    def _replace(self, m: re.Match[str]) -> str:
        relative = self.paths.get(m.group("var") or "") if m.group("var") else m.group("lit")
        name = None if relative is None else self._variable_for(relative)
        return m.group(0) if name is None else f"${name}"

    def rewrite(self, sheet: etree._Element) -> None:
        """Rewrite every ``test``/``select`` of the generated stylesheet."""
        for node in sheet.iter(f"{{{XSL}}}*"):
            for attr in ("test", "select"):
                value = node.get(attr)
                if value and "document(" in value and node.get("static") != "yes":
                    node.set(attr, _DOCUMENT_CALL.sub(self._replace, value))


def compile_to_xslt(path: Path, *, phase: str | None = None, child_gates: bool = True) -> bytes:
    """Compile the schematron at ``path`` (with its includes) to an XSLT 3 stylesheet.

    One walk over the document offers each element to the modes of the patterns that can
    match it (and its attributes to the patterns with an attribute rule): a walk per
    pattern made the cost grow with the number of patterns. Results are marked with their
    pattern and regrouped after the walk, so the SVRL lists each ``active-pattern``
    followed by its own ``fired-rule``/``failed-assert``/``successful-report`` elements, in
    document order.
    """
    root, _ = load_schematron(path)
    model = _build_model(root, phase)
    # xs is predeclared (schematron authors use xs: casts without an ns element), then the
    # prefixes declared on the schema element, then the ns elements (which win).
    nsmap: dict[str | None, str] = {
        "xsl": XSL,
        "svrl": SVRL,
        "xs": "http://www.w3.org/2001/XMLSchema",
        _MARK_PREFIX: _MARK_NS,
    }
    declared_ns = {k: v for k, v in root.nsmap.items() if k and v != SCH}
    for prefix, uri in {**declared_ns, **model.namespaces}.items():
        if prefix and prefix not in ("xsl", "svrl", _MARK_PREFIX):
            nsmap[prefix] = uri
    sheet = etree.Element(
        f"{{{XSL}}}stylesheet", {"version": "3.0", "exclude-result-prefixes": _MARK_PREFIX}, nsmap=nsmap
    )
    sheet.set(f"{{{XML_NS}}}base", Path(path).resolve().as_uri())
    _x(sheet, "output", method="xml", encoding="UTF-8", indent="no")
    # The results of the walk, by pattern.
    _x(
        sheet,
        "key",
        name=f"{_MARK_PREFIX}:pattern",
        match=f"*[@{_MARK_PREFIX}:pattern]",
        use=f"@{_MARK_PREFIX}:pattern",
    )

    declared: set[str] = set()
    for let in model.global_lets:
        name = let.get("name", "")
        # The CI-SIS files declare some value-set paths in several patterns: the first
        # declaration wins, as a duplicate global variable is an XSLT error.
        if name in declared:
            continue
        declared.add(name)
        _variable(sheet, let)

    main = _x(sheet, "template", match="/")
    # One temporary document holds every result (a sequence of parentless elements made a
    # tree of each); its key regroups them by pattern.
    results = _x(main, "variable", name="homolog-results")
    static_docs = _StaticDocuments(sheet, Path(path).resolve(), model.global_lets)
    prefixes = {k: v for k, v in nsmap.items() if k}
    # Per pattern mode: the elements its rules can match, and whether a rule can match an
    # attribute.
    dispatch: list[tuple[str, ElementOffer, bool]] = []
    out = etree.SubElement(
        main,
        f"{{{SVRL}}}schematron-output",
        {"title": _avt(model.title), "phase": _avt(model.phase), "schemaVersion": _avt(model.schema_version)},
    )
    for prefix, uri in model.namespaces.items():
        etree.SubElement(out, f"{{{SVRL}}}ns-prefix-in-attribute-values", {"prefix": prefix, "uri": uri})
    for index, pat in enumerate(model.patterns):
        mode = f"M{index}"
        attrs = {"id": pat.get("id") or f"pattern-{index}"}
        title = pat.find(f"{_Q}title")
        if title is not None:
            attrs["name"] = " ".join("".join(title.itertext()).split())
        etree.SubElement(out, f"{{{SVRL}}}active-pattern", {k: _avt(v) for k, v in attrs.items()})
        by_pattern = f"key('{_MARK_PREFIX}:pattern', '{index}', $homolog-results)"
        _x(out, "apply-templates", select=by_pattern, mode="homolog-unmark")
        # Nodes no rule of the pattern matches produce nothing and are not descended
        # into: the walk visits every element once for all patterns.
        _x(sheet, "mode", name=mode, **{"on-no-match": "deep-skip"})
        # deep-skip still descends from a document node: stop it there (the walk does).
        _x(sheet, "template", match="document-node()", mode=mode, priority="-10")

        rules = [r for r in pat.findall(f"{_Q}rule") if r.get("abstract") != "true"]
        if not rules:
            continue
        _x(results, "apply-templates", select=".", mode=mode)  # rules whose context is "/"
        offer = ElementOffer()
        for rule in rules:
            offer |= element_offer(rule.get("context") or "", prefixes)
        if not child_gates and offer.children:
            offer = ElementOffer(anything=True)
        attributes = any(may_match_attributes(r.get("context") or "") for r in rules)
        dispatch.append((mode, offer, attributes))
        for position, rule in enumerate(rules):
            context = rule.get("context")
            if not context:
                raise SchematronError(f"pattern {attrs['id']!r}: rule without context")
            tpl = _x(sheet, "template", match=context, mode=mode, priority=str(1000 + len(rules) - position))
            fired = etree.SubElement(tpl, f"{{{SVRL}}}fired-rule", {"context": _avt(context)})
            for attr in ("id", "role", "flag"):
                if rule.get(attr):
                    fired.set(attr, _avt(rule.get(attr, "")))
            for item in _rule_items(rule, model):
                if item.tag == f"{_Q}let":
                    _variable(tpl, item)
                else:
                    _assertion(tpl, item, model)
            # Every result element of this template carries its pattern until regrouped.
            for produced in tpl.iter(
                f"{{{SVRL}}}fired-rule", f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"
            ):
                produced.set(f"{{{_MARK_NS}}}pattern", str(index))
    _x(results, "apply-templates", select="*", mode="homolog-walk")
    _walk_templates(sheet, dispatch)
    static_docs.rewrite(sheet)
    unmark = _x(sheet, "template", match="*", mode="homolog-unmark")
    copy_el = _x(unmark, "copy", **{"copy-namespaces": "no"})
    _x(copy_el, "copy-of", select=f"@* except @{_MARK_PREFIX}:pattern")
    _x(copy_el, "copy-of", select="node()", **{"copy-namespaces": "no"})
    return bytes(etree.tostring(sheet, xml_declaration=True, encoding="UTF-8"))


def _walk_templates(sheet: etree._Element, dispatch: list[tuple[str, ElementOffer, bool]]) -> None:
    """One walk template per element name some rule names, plus one for every other
    element: each offers the element (and its attributes, to the modes with attribute
    rules) to the modes that can match it, in pattern order, then walks its children.

    A mode offered the elements with some child (:attr:`ElementOffer.children`) is applied
    under a test of that child; consecutive modes under the same test share it."""
    named = sorted({name for _mode, offer, _attrs in dispatch for name in offer.names})

    def template(match: str, name: str | None) -> None:
        tpl = _x(sheet, "template", match=match, mode="homolog-walk", priority="0" if name is None else "1")
        gate: tuple[str, etree._Element] | None = None
        for mode, offer, attributes in dispatch:
            if offer.anything or name in offer.names:
                _x(tpl, "apply-templates", select=".", mode=mode)
                gate = None
            elif offer.children:
                test = " or ".join(sorted(offer.children))
                if gate is None or gate[0] != test:
                    gate = (test, _x(tpl, "if", test=test))
                _x(gate[1], "apply-templates", select=".", mode=mode)
            if attributes:
                _x(tpl, "apply-templates", select="@*", mode=mode)
                gate = None
        _x(tpl, "apply-templates", select="*", mode="homolog-walk")

    for name in named:
        uri, local = name[1:].split("}", 1)
        template(f"Q{{{uri}}}{local}", name)
    template("*", None)


def default_cache_dir() -> Path:
    """``~/.cache/homolog/schematron``, unless ``settings.documents.cache_dir`` says otherwise
    (``homolog run --cache-dir DIR`` or env ``HOMOLOG_CACHE_DIR``: ``DIR/schematron``)."""
    return Path.home() / ".cache" / "homolog" / "schematron"


def cache_key(path: Path, phase: str | None) -> str:
    """Hash of the schematron's place and content, its includes, the phase and the compiler
    version (the stylesheet names files by absolute URI: a moved copy compiles anew)."""
    digest = hashlib.sha256(f"{COMPILER_VERSION}\0{phase or ''}\0{Path(path).resolve()}\0".encode())
    for src in source_files(path):
        digest.update(str(src.name).encode() + b"\0" + src.read_bytes() + b"\0")
    return digest.hexdigest()


_SAXON_LOCK = threading.RLock()
_SAXON: object | None = None


def saxon_processor() -> object:
    """The process-wide SaxonC processor (SaxonC wants one per process)."""
    global _SAXON
    with _SAXON_LOCK:
        if _SAXON is None:
            from saxonche import PySaxonProcessor

            _SAXON = PySaxonProcessor(license=False)
        return _SAXON


# Compiled schematrons of this process, by (file, phase, content hash): every validator
# of the process shares them, so a check, a CLI call or a bench pays a compilation once
# per volet and process (COMPILER_VERSION is part of the content hash).
_LOADED: dict[tuple[Path, str | None, str], CompiledSchematron] = {}


@dataclass
class CompiledSchematron:
    """A schematron compiled to XSLT and loaded in Saxon, ready to validate documents
    (`xslt_path`: where its stylesheet is cached, absent when the cache could not be written)."""

    path: Path
    phase: str | None
    xslt_path: Path
    _executable: object

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        phase: str | None = None,
        cache_dir: Path | None = None,
        use_cache: bool = True,
    ) -> CompiledSchematron:
        """The schematron at ``path`` compiled and loaded: from this process's memory, else
        from the on-disk cache, else compiled from source.

        ``use_cache=False`` compiles from source and loads again (memory and disk ignored),
        which is what a cold process without a disk cache pays.
        """
        path = Path(path).resolve()
        key = cache_key(path, phase)
        memo = (path, phase, key)
        if use_cache:
            with _SAXON_LOCK:
                hit = _LOADED.get(memo)
            if hit is not None:
                return hit
        cache = cache_dir or default_cache_dir()
        xslt_path = cache / f"{path.stem}-{key[:16]}.xsl"
        executable: object | None = None
        if use_cache and xslt_path.is_file():
            # A cached stylesheet Saxon cannot read (cut short by a crash before it reached the
            # disk, changed by hand) only costs the speed-up: compiled anew below and written
            # over it, never an error for every document from then on.
            with contextlib.suppress(SchematronError):
                executable = _compile_stylesheet(xslt_path, path)
        if executable is None:
            executable = _compile_fresh(path, phase, xslt_path)
        compiled = cls(path=path, phase=phase, xslt_path=xslt_path, _executable=executable)
        with _SAXON_LOCK:
            _LOADED[memo] = compiled
        return compiled

    def run(self, document: str | bytes | object) -> str:
        """Validate a (safely pre-parsed, DOCTYPE-free) document, as text, as bytes or as a
        node from :func:`parse_for_saxon`; return the SVRL text."""
        with _SAXON_LOCK:
            try:
                node = parse_for_saxon(document) if isinstance(document, (str, bytes)) else document
                result = self._executable.transform_to_string(xdm_node=node)  # type: ignore[attr-defined]
            except SchematronError:
                raise
            except Exception as exc:
                raise SchematronError(f"running {self.path.name} failed: {exc}") from exc
        if result is None:
            raise SchematronError(f"running {self.path.name} produced no SVRL")
        return str(result)


def _compile_stylesheet(xslt_path: Path, source: Path) -> object:
    """The stylesheet file `xslt_path` (generated from the schematron `source`) compiled by Saxon."""
    with _SAXON_LOCK:
        xslt_proc = saxon_processor().new_xslt30_processor()  # type: ignore[attr-defined]
        try:
            return xslt_proc.compile_stylesheet(stylesheet_file=str(xslt_path))
        except Exception as exc:  # saxonche raises PySaxonApiError
            raise SchematronError(f"Saxon cannot compile the stylesheet generated from {source}: {exc}") from exc


def _compile_fresh(path: Path, phase: str | None, xslt_path: Path) -> object:
    """The schematron `path` compiled from source, its stylesheet cached at `xslt_path`; where
    the cache cannot be written (no room, no permission), from a temporary file instead: the
    cache only ever costs or saves time."""
    xslt = compile_to_xslt(path, phase=phase)
    try:
        xslt_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = xslt_path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            tmp.write_bytes(xslt)
            os.replace(tmp, xslt_path)  # atomic: parallel workers never read half a file
        finally:
            tmp.unlink(missing_ok=True)
    except OSError:
        # (the stylesheet names the files it reads by absolute URI: its own place is free)
        with tempfile.TemporaryDirectory(prefix="homolog-xslt-") as folder:
            alone = Path(folder) / xslt_path.name
            alone.write_bytes(xslt)
            return _compile_stylesheet(alone, path)
    return _compile_stylesheet(xslt_path, path)


def _parse_memfd(data: bytes) -> object:
    """``data`` parsed by Saxon as a file held in memory (a Linux memfd, closed on return).

    Saxon reads a file's bytes faster than it takes a str (a str is copied and re-encoded
    on its way in, then read through a second decoder), and nothing reaches disk. Saxon
    does not pool the documents it parses this way (tests/suites/documents check that
    memory stays flat over many documents)."""
    fd = os.memfd_create("homolog-cda", os.MFD_CLOEXEC)
    try:
        view, done = memoryview(data), 0
        while done < len(data):
            done += os.write(fd, view[done:])
        return saxon_processor().parse_xml(xml_file_name=f"/proc/self/fd/{fd}")  # type: ignore[attr-defined]
    finally:
        os.close(fd)


# Whether Saxon reads documents from in-memory files here (decided on first use, under
# _SAXON_LOCK): it needs os.memfd_create and /proc.
_MEMFD: bool | None = None


def _memfd_works() -> bool:
    global _MEMFD
    if _MEMFD is None:
        try:
            _MEMFD = hasattr(os, "memfd_create") and str(_parse_memfd(b"<probe/>")) == "<probe/>"
        except Exception:
            _MEMFD = False
    return _MEMFD


def parse_for_saxon(document: str | bytes) -> object:
    """The document as a Saxon node, to run several schematrons on one parse (Saxon's
    parse of a large document costs as much as a schematron run).

    ``bytes``: a complete XML document in the encoding it declares (UTF-8 unless it says
    otherwise), read without a detour through a Python str where the platform allows."""
    with _SAXON_LOCK:
        try:
            if isinstance(document, bytes):
                if _memfd_works():
                    return _parse_memfd(document)
                document = _as_text(document)
            return saxon_processor().parse_xml(xml_text=document)  # type: ignore[attr-defined]
        except SchematronError:
            raise
        except Exception as exc:
            raise SchematronError(f"Saxon cannot parse the document: {exc}") from exc


def _as_text(data: bytes) -> str:
    """XML bytes as text, decoded as their declaration says (lxml reads it), with the
    declaration dropped so that Saxon does not decode the text a second time."""
    try:
        root = etree.fromstring(data, _parser_keeping_content())
    except etree.XMLSyntaxError as exc:
        raise SchematronError(f"the document is not well-formed XML: {exc}") from exc
    return str(etree.tostring(root.getroottree(), encoding="unicode"))


def _parser_keeping_content() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
