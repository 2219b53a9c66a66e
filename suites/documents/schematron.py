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
  (rule order gives template priority), as the Schematron standard says;
- ``assert``/``report`` produce SVRL ``failed-assert``/``successful-report`` with ``id``,
  ``role``, ``flag``, the XPath ``location`` and the message (``value-of``, ``name``,
  ``emph``/``dir``/``span`` flattened), plus ``diagnostics`` references.

The generated stylesheet carries ``xml:base`` = the schematron's own URI so that
``document()`` calls with relative paths (the CI-SIS value sets) resolve as the authors
intended. Compiled stylesheets are cached on disk by the hash of every source file
(schematron and its includes), the phase and :data:`COMPILER_VERSION`.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

__all__ = [
    "COMPILER_VERSION",
    "CompiledSchematron",
    "SchematronError",
    "compile_to_xslt",
    "default_cache_dir",
    "load_schematron",
    "source_files",
]

COMPILER_VERSION = "1"
SCH = "http://purl.oclc.org/dsdl/schematron"
XSL = "http://www.w3.org/1999/XSL/Transform"
SVRL = "http://purl.oclc.org/dsdl/svrl"
XML_NS = "http://www.w3.org/XML/1998/namespace"
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


def compile_to_xslt(path: Path, *, phase: str | None = None) -> bytes:
    """Compile the schematron at ``path`` (with its includes) to an XSLT 3 stylesheet."""
    root, _ = load_schematron(path)
    model = _build_model(root, phase)
    # xs is predeclared (schematron authors use xs: casts without an ns element), then the
    # prefixes declared on the schema element, then the ns elements (which win).
    nsmap: dict[str | None, str] = {"xsl": XSL, "svrl": SVRL, "xs": "http://www.w3.org/2001/XMLSchema"}
    declared_ns = {k: v for k, v in root.nsmap.items() if k and v != SCH}
    for prefix, uri in {**declared_ns, **model.namespaces}.items():
        if prefix and prefix not in ("xsl", "svrl"):
            nsmap[prefix] = uri
    sheet = etree.Element(f"{{{XSL}}}stylesheet", {"version": "3.0"}, nsmap=nsmap)
    sheet.set(f"{{{XML_NS}}}base", Path(path).resolve().as_uri())
    _x(sheet, "output", method="xml", encoding="UTF-8", indent="no")

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
        _x(out, "apply-templates", select="/", mode=mode)

        rules = [r for r in pat.findall(f"{_Q}rule") if r.get("abstract") != "true"]
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
            _x(tpl, "apply-templates", select="@*|*", mode=mode)
        _x(sheet, "template", match="text()", mode=mode, priority="-1")
        walk = _x(sheet, "template", match="document-node()|@*|*", mode=mode, priority="-2")
        _x(walk, "apply-templates", select="@*|*", mode=mode)
    return bytes(etree.tostring(sheet, xml_declaration=True, encoding="UTF-8"))


def default_cache_dir() -> Path:
    """``~/.cache/homolog/schematron``, unless ``settings.documents.cache_dir`` says otherwise
    (``homolog run --cache-dir DIR`` or env ``HOMOLOG_CACHE_DIR``: ``DIR/schematron``)."""
    return Path.home() / ".cache" / "homolog" / "schematron"


def cache_key(path: Path, phase: str | None) -> str:
    """Content hash of the schematron, its includes, the phase and the compiler version."""
    digest = hashlib.sha256(f"{COMPILER_VERSION}\0{phase or ''}\0".encode())
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


@dataclass
class CompiledSchematron:
    """A schematron compiled to XSLT and loaded in Saxon, ready to validate documents."""

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
        """Compile (or take from the on-disk cache) and load the schematron at ``path``."""
        path = Path(path).resolve()
        cache = cache_dir or default_cache_dir()
        key = cache_key(path, phase)
        xslt_path = cache / f"{path.stem}-{key[:16]}.xsl"
        if not (use_cache and xslt_path.is_file()):
            xslt = compile_to_xslt(path, phase=phase)
            cache.mkdir(parents=True, exist_ok=True)
            tmp = xslt_path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(xslt)
            os.replace(tmp, xslt_path)  # atomic: parallel workers never read half a file
        with _SAXON_LOCK:
            proc = saxon_processor()
            xslt_proc = proc.new_xslt30_processor()  # type: ignore[attr-defined]
            try:
                executable = xslt_proc.compile_stylesheet(stylesheet_file=str(xslt_path))
            except Exception as exc:  # saxonche raises PySaxonApiError
                raise SchematronError(f"Saxon cannot compile the stylesheet generated from {path}: {exc}") from exc
        return cls(path=path, phase=phase, xslt_path=xslt_path, _executable=executable)

    def run(self, document: str) -> str:
        """Validate a (safely pre-parsed, DOCTYPE-free) document; return the SVRL text."""
        with _SAXON_LOCK:
            proc = saxon_processor()
            try:
                node = proc.parse_xml(xml_text=document)  # type: ignore[attr-defined]
                result = self._executable.transform_to_string(xdm_node=node)  # type: ignore[attr-defined]
            except Exception as exc:
                raise SchematronError(f"running {self.path.name} failed: {exc}") from exc
        if result is None:
            raise SchematronError(f"running {self.path.name} produced no SVRL")
        return str(result)
