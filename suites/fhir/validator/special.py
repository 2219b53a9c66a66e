"""Rules of the FHIR specification that StructureDefinitions do not state.

The HL7 validator applies them to every resource; so does this one:

- resource ids follow the `id` datatype (pattern and length from hl7.fhir.r4.core);
- Bundles: absolute fullUrls that agree with the entry's id, no duplicate entry, link
  relations that can occur once, references that resolve inside documents (and
  `urn:uuid:` references inside transactions);
- conformance resources: absolute canonical URLs, valid lowercase UUIDs, absolute
  code systems in ValueSet.compose, SearchParameter type/base against derivedFrom,
  CapabilityStatement search parameter types against their definitions, CodeSystem
  property codes and URIs defined once, StructureDefinition differential paths that
  exist in the base;
- Attachment: the stated size is the size of the data;
- Narrative: the XHTML rules of txt-1 / txt-2 (`htmlChecks()`), with the allowed
  elements and attributes read from the constraint's own XPath in the core package;
- Observation: the core vital-signs profile its code implies (as the HL7 validator).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import Counter
from functools import lru_cache
from typing import Any, Protocol

from lxml import etree

from homolog.suites.fhir.packages import Conformance
from homolog.suites.fhir.validator.issues import Issue
from homolog.suites.fhir.validator.structure import ProfileTree, type_suffix


class Validator(Protocol):
    """What these rules read from the validator (its definitions)."""

    conformance: Conformance

    def tree(self, canonical: str) -> ProfileTree | None: ...

    def resource_id_pattern(self) -> re.Pattern[str] | None: ...


__all__ = [
    "attachment_problems",
    "html_problem",
    "implied_observation_profiles",
    "is_example_url",
    "name_problem",
    "parse_div",
    "resource_rules",
    "uuid_problem",
]

_SD = "http://hl7.org/fhir/StructureDefinition/"
_LOINC = "http://loinc.org"
_SCT = "http://snomed.info/sct"
_XHTML = "{http://www.w3.org/1999/xhtml}"
_XML_NS = "{http://www.w3.org/XML/1998/namespace}"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_UUID = re.compile(r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_EXAMPLE_HOST = re.compile(r"^[a-z][a-z0-9+.\-]*://([^/?#]*\.)?example\.(org|com|net)([:/?#]|$)", re.IGNORECASE)
_ONCE_LINKS = ("self", "first", "previous", "prev", "next", "last")
_MAX_ID = 64

# The R4 core vital-signs profile an Observation's code implies, as the HL7 Java
# validator applies it (its BasePolicyAdvisorForFullValidation): the first row with
# a matching LOINC code wins, then the first with a matching SNOMED CT code.
_VITALS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("vitalspanel", _LOINC, frozenset({"85353-1"})),
    (
        "resprate",
        _LOINC,
        frozenset(["9279-1", "76170-0", "76172-6", "76171-8", "19840-8", "33438-3", "76270-8", "11291-2"]),
    ),
    (
        "heartrate",
        _LOINC,
        frozenset(
            [
                "60978-4",
                "73795-7",
                "73799-9",
                "76476-1",
                "76477-9",
                "8867-4",
                "8889-8",
                "8890-6",
                "8891-4",
                "8892-2",
                "8893-0",
                "40443-4",
                "55425-3",
                "68999-2",
                "11328-2",
                "69000-8",
                "8886-4",
            ]
        ),
    ),
    (
        "oxygensat",
        _LOINC,
        frozenset(
            [
                "2708-6",
                "19224-5",
                "20564-1",
                "2709-4",
                "2710-2",
                "2713-6",
                "51733-4",
                "59408-5",
                "59417-6",
                "89276-0",
                "97549-0",
            ]
        ),
    ),
    (
        "bodytemp",
        _LOINC,
        frozenset(
            [
                "8310-5",
                "60834-9",
                "60835-6",
                "60836-4",
                "60838-0",
                "60955-2",
                "61009-7",
                "75539-7",
                "75987-8",
                "76010-8",
                "76011-6",
                "76278-1",
                "8309-7",
                "8328-7",
                "8329-5",
                "8330-3",
                "8331-1",
                "8332-9",
                "8333-7",
                "8334-5",
                "91371-5",
                "98657-0",
                "98663-8",
            ]
        ),
    ),
    ("bodyheight", _LOINC, frozenset(["8302-2", "3137-7", "3138-5", "8306-3", "8308-9"])),
    ("headcircum", _LOINC, frozenset({"9843-4", "8287-5"})),
    ("bodyweight", _LOINC, frozenset(["29463-7", "3141-9", "3142-7", "75292-3", "79348-9", "8350-1", "8351-9"])),
    ("bmi", _LOINC, frozenset({"39156-5", "89270-3"})),
    ("bp", _LOINC, frozenset(["85354-9", "35094-2", "8459-0", "76534-7", "55284-4", "8480-6"])),
    ("vitalspanel", _SCT, frozenset({"46680005"})),
    ("resprate", _SCT, frozenset({"86290005", "271625008", "271306003"})),
    (
        "heartrate",
        _SCT,
        frozenset(["271306003", "249043002", "444981005", "399017001", "251670001", "429525003", "429614003"]),
    ),
    ("oxygensat", _SCT, frozenset({"442476006", "431314004"})),
    (
        "bodytemp",
        _SCT,
        frozenset(
            [
                "386725007",
                "276885007",
                "300076005",
                "1222808002",
                "364246006",
                "307047009",
                "708499008",
                "431598003",
                "698831002",
                "698832009",
                "415882003",
                "415974002",
                "415929009",
                "415945006",
            ]
        ),
    ),
    (
        "bodyheight",
        _SCT,
        frozenset(["1153637007", "1162419008", "50373000", "1162418000", "1230278008", "1162392001", "1162417005"]),
    ),
    ("headcircum", _SCT, frozenset({"363812007", "169876006", "1269262007", "363811000"})),
    ("bodyweight", _SCT, frozenset(["735395000", "425024002", "424927000", "784399000", "1162416001", "1162415002"])),
    ("bmi", _SCT, frozenset({"60621009"})),
    (
        "bp",
        _SCT,
        frozenset(
            [
                "251076008",
                "163033001",
                "163035008",
                "386534000",
                "386536003",
                "271649006",
                "271650006",
                "407556006",
                "407554009",
                "716579001",
                "399304008",
            ]
        ),
    ),
)


def implied_observation_profiles(resource: dict[str, Any]) -> list[str]:
    """The core vital-signs profile an Observation's code implies (at most one)."""
    code = resource.get("code")
    codings = code.get("coding") if isinstance(code, dict) else None
    if not isinstance(codings, list):
        return []
    pairs = {(c.get("system"), c.get("code")) for c in codings if isinstance(c, dict)}
    for system in (_LOINC, _SCT):
        for name, sys_, codes in _VITALS:
            if sys_ == system and any(s == system and c in codes for s, c in pairs):
                return [_SD + name]
    return []


def is_example_url(url: str) -> bool:
    """True for URLs on example.org / example.com / example.net (and their subdomains)."""
    return bool(_EXAMPLE_HOST.match(url))


def uuid_problem(value: str) -> str | None:
    """Why a `urn:uuid:` value is not a valid lowercase UUID (None when it is)."""
    if value.startswith("urn:uuid:") and not _UUID.match(value):
        return f"UUIDs must be valid and lowercase ({value[len('urn:uuid:') :]})"
    return None


def attachment_problems(value: dict[str, Any], loc: str) -> list[Issue]:
    """The stated size and the data of an Attachment agree."""
    data, size = value.get("data"), value.get("size")
    if not isinstance(data, str) or isinstance(size, bool) or not isinstance(size, int):
        return []
    try:
        actual = len(base64.b64decode(data, validate=False))
    except (binascii.Error, ValueError):
        return []  # base R4 reports data that is not base64
    if actual != size:
        return [
            Issue(
                "error",
                f"{loc}.size",
                f"stated attachment size {size} does not match the data ({actual} bytes)",
                "value",
            )
        ]
    return []


@lru_cache(maxsize=8)
def _allowed_names(xpath: str) -> tuple[frozenset[str], frozenset[str]]:
    """Element and attribute names txt-1's XPath allows (empty sets when it lists none)."""
    elements = re.search(r"local-name\(\.\)=\(([^)]*)\)", xpath)
    attributes = re.search(r"name\(\.\)=\(([^)]*)\)\)\]\)\s*$", xpath) or re.search(
        r"@\*\[not\(name\(\.\)=\(([^)]*)\)", xpath
    )

    def names(m: re.Match[str] | None) -> frozenset[str]:
        return frozenset(re.findall(r"'([^']+)'", m.group(1))) if m else frozenset()

    return names(elements), names(attributes)


@lru_cache(maxsize=8)
def _suspect_tag(elements: frozenset[str], attributes: frozenset[str]) -> re.Pattern[str] | None:
    """A start tag that may hold a name outside the allowed ones (None: nothing is restricted).

    Over a well-formed div, one C scan with this pattern clears the common case; only a
    div where it finds a match is read name by name. It errs on the side of matching: a
    name with characters outside [\\w.:-], or written in an unusual way, is a suspect.
    """
    run = r"[\w.:-]"
    alternatives: list[str] = []
    if elements:
        ok = _one_of(elements)
        # An element whose name, after its last prefix, is not in the list.
        alternatives.append(rf"(?!(?:{ok})(?!{run})|{run}*:(?:{ok})(?!{run}))[A-Za-z_]")
    if attributes:
        ok = _one_of(attributes)
        name = rf"(?:(?:{ok})|xmlns(?::{run}*)?|xml:{run}*|{run}*:(?:{ok}))(?=\s*=)"
        value = r"""(?:"[^"]*"|'[^']*')"""
        # A start tag whose allowed attributes (taken possessively) are followed by
        # something else than the end of the tag.
        alternatives.append(rf"[A-Za-z_]{run}*+(?:\s+{name}\s*=\s*{value})*+\s*+[^/>]")
    if not alternatives:
        return None
    return re.compile("<(?:" + "|".join(alternatives) + ")")


def _one_of(names: frozenset[str]) -> str:
    """A pattern matching exactly one of `names`, factored by common prefixes
    (`a(?:bbr|cronym)?|b(?:ig|lockquote|r)?|…`): at each position the regex engine tries
    the names sharing the first letter, not the whole list in turn."""
    tree: dict[str, Any] = {}
    for name in names:
        node = tree
        for ch in name:
            node = node.setdefault(ch, {})
        node[""] = {}  # a name ends here

    def pattern(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + pattern(node[ch]) for ch in sorted(node) if ch]
        if not branches:
            return ""
        if "" in node:
            return "(?:" + "|".join(branches) + ")?"
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return pattern(tree)


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_div(div: str) -> Any:
    """A Narrative div parsed ((lxml element, text)), or the text saying why it cannot be."""
    try:
        root = etree.fromstring(div.encode("utf-8"), _PARSER)
    except etree.XMLSyntaxError as exc:
        return f"the narrative is not well-formed XHTML ({exc.msg})"
    if "&" in div:  # (an entity node only comes from an entity reference)
        for el in root.iter():
            if isinstance(el, etree._Entity):
                return f"invalid entity in the XHTML (&{el.name};)"
    return root, div


# Over a div lxml has already parsed (well-formed), start tags and their attributes are
# read from the text: faster than visiting every element from Python. Comments, CDATA
# and processing instructions are removed first, so nothing inside them counts.
_NOT_MARKUP = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>", re.DOTALL)
_START_TAG = re.compile(r"""<([A-Za-z_][\w.:-]*)((?:[^>"']+|"[^"]*"|'[^']*')*)>""")
_ATTRIBUTE = re.compile(r"([\w.:-]+)\s*=\s*(?:\"[^\"]*\"|'[^']*')")


_HAS_CONTENT = etree.XPath(
    "boolean(descendant::text()[normalize-space(.)!=''] or descendant::h:img[@src])",
    namespaces={"h": "http://www.w3.org/1999/xhtml"},
)


def html_problem(key: str, constraint: dict[str, Any], parsed: Any) -> str | None:
    """Why a Narrative div (as `parse_div` gives it) breaks txt-1 or txt-2 (None when it does not)."""
    if isinstance(parsed, str):
        return parsed if key == "txt-1" else None
    root, source = parsed
    if key == "txt-2":
        # Text that is not XML white space is content (the text nodes in document order, as
        # XPath's string() joins them: no comment, no processing instruction); the XPath,
        # which also counts an img with a src, runs only for a div without text.
        for text in root.itertext():
            if text.strip(" \t\r\n"):
                return None
        if _HAS_CONTENT(root):
            return None
        return str(constraint.get("human", "the narrative has no content"))
    if root.tag != f"{_XHTML}div":
        return "the narrative must be an XHTML div (namespace http://www.w3.org/1999/xhtml)"
    elements, attributes = _allowed_names(str(constraint.get("xpath", "")))
    markup = _NOT_MARKUP.sub("", source) if ("<!" in source or "<?" in source) else source
    suspect = _suspect_tag(elements, attributes)
    if suspect is None or suspect.search(markup) is None:
        return None
    return name_problem(markup, elements, attributes)


def name_problem(markup: str, elements: frozenset[str], attributes: frozenset[str]) -> str | None:
    """The first element or attribute name of a well-formed div outside the allowed ones.

    (Read tag by tag; `html_problem` calls it only for a div where `_suspect_tag` matched.)
    """
    tags = _START_TAG.findall(markup)  # (name, attributes) of every start tag, in C
    if elements:
        bad = {name.rpartition(":")[2] for name in {t for t, _ in tags}} - elements
        if bad:
            return f"element <{min(bad)}> is not allowed in a narrative"
    if attributes:
        names = set(_ATTRIBUTE.findall(" ".join(a for _, a in tags if a)))
        bad = {
            n.rpartition(":")[2] for n in names if n != "xmlns" and not n.startswith(("xmlns:", "xml:"))
        } - attributes
        if bad:
            return f"attribute '{min(bad)}' is not allowed in a narrative"
    return None


# -- resource rules --------------------------------------------------------------


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def resource_rules(validator: Validator, resource: dict[str, Any], loc: str) -> list[Issue]:
    """Rules of the specification outside StructureDefinitions for one resource."""
    out: list[Issue] = []
    rtype = str(resource.get("resourceType"))
    rid = resource.get("id")
    if isinstance(rid, str):
        pattern = validator.resource_id_pattern()
        if len(rid) > _MAX_ID:
            out.append(
                Issue(
                    "error",
                    f"{loc}.id",
                    f"invalid resource id: too long ({len(rid)} characters, at most {_MAX_ID})",
                    "structure",
                )
            )
        elif pattern is not None and not pattern.fullmatch(rid):
            out.append(Issue("error", f"{loc}.id", f"invalid resource id: invalid characters ({rid!r})", "structure"))
    url = resource.get("url")
    if isinstance(url, str) and _is_canonical_resource(validator, rtype):
        contained = "." in loc or "[" in loc
        if not _SCHEME.match(url) and not url.startswith("#"):
            where = "in contained resources " if contained else ""
            out.append(Issue("error", f"{loc}.url", f"canonical URLs {where}must be absolute URLs ({url})", "value"))
    rule = _RULES.get(rtype)
    if rule is not None:
        out += rule(validator, resource, loc)
    return out


def _is_canonical_resource(validator: Validator, rtype: str) -> bool:
    tree = validator.tree(_SD + rtype)
    if tree is None:
        return False
    url, version = tree.by_path.get(f"{rtype}.url"), tree.by_path.get(f"{rtype}.version")
    return url is not None and version is not None and url.type_codes == ["uri"]


def _bundle(validator: Validator, bundle: dict[str, Any], loc: str) -> list[Issue]:
    out: list[Issue] = []
    btype = bundle.get("type")
    links = _list(bundle.get("link"))
    seen_rel: Counter[str] = Counter()
    for i, link in enumerate(links):
        rel = link.get("relation") if isinstance(link, dict) else None
        if isinstance(rel, str):
            seen_rel[rel] += 1
            if rel in _ONCE_LINKS and seen_rel[rel] == 2:
                out.append(
                    Issue("error", f"{loc}.link[{i}]", f"the link relation '{rel}' can only occur once", "structure")
                )
    entries = _list(bundle.get("entry"))
    keys: Counter[tuple[str, str]] = Counter()
    for i, e in enumerate(entries):
        if not isinstance(e, dict):
            continue
        full = e.get("fullUrl")
        res = e.get("resource") if isinstance(e.get("resource"), dict) else None
        if not isinstance(full, str):
            continue
        if not _SCHEME.match(full):
            out.append(
                Issue(
                    "error", f"{loc}.entry[{i}].fullUrl", f"the fullUrl must be an absolute URL (not '{full}')", "value"
                )
            )
            continue
        if res is not None:
            m = re.search(r"/([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})$", full)
            rid, rtype = res.get("id"), res.get("resourceType")
            if (
                full.startswith(("http://", "https://"))
                and m
                and isinstance(rid, str)
                and m.group(1) == rtype
                and m.group(2) != rid
            ):
                out.append(
                    Issue(
                        "error",
                        f"{loc}.entry[{i}]",
                        f"the fullUrl '{full}' does not agree with the resource id '{rid}'",
                        "value",
                    )
                )
        version = ((res or {}).get("meta") or {}).get("versionId") if res else None
        if btype != "history":
            key = (full, str(version))
            keys[key] += 1
            if keys[key] == 2:
                out.append(
                    Issue(
                        "error",
                        f"{loc}.entry[{i}]",
                        f"duplicate entry: fullUrl '{full}' appears more than once",
                        "structure",
                    )
                )
    if btype in ("document", "transaction", "batch", "message"):
        out += _bundle_references(entries, loc, document=btype == "document")
    return out


def _references(obj: Any, path: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "reference" and isinstance(v, str):
                out.append((path, v))
            elif k not in ("contained",) and isinstance(v, dict | list):
                out += _references(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _references(v, f"{path}[{i}]")
    return out


def _bundle_references(entries: list[Any], loc: str, *, document: bool) -> list[Issue]:
    out: list[Issue] = []
    index: list[tuple[str, str | None, str | None, str | None]] = []
    for e in entries:
        if not isinstance(e, dict):
            continue
        res = _dict(e.get("resource"))
        meta = _dict(res.get("meta"))
        index.append((str(e.get("fullUrl") or ""), res.get("resourceType"), res.get("id"), meta.get("versionId")))
    fulls = {f for f, *_ in index}
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or not isinstance(e.get("resource"), dict):
            continue
        for path, ref in _references(e["resource"], f"{loc}.entry[{i}].resource"):
            target = ref.split("#")[0]
            if not target:
                continue
            if target.startswith(("urn:uuid:", "urn:oid:")):
                if target not in fulls:
                    out.append(Issue("error", path, f"can't find '{target}' in the bundle", "structure"))
                continue
            if not document or i != 0:
                # What a document's Composition (its first entry) references must be inside
                # the document; elsewhere a reference may point to a server.
                continue
            m = re.fullmatch(r"([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/([A-Za-z0-9\-.]{1,64}))?", target)
            if m is None:
                if target.startswith(("http://", "https://")) and target not in fulls:
                    m2 = re.search(
                        r"/([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/([A-Za-z0-9\-.]{1,64}))?$", target
                    )
                    if m2 is None:
                        continue
                    m = m2
                else:
                    continue
            rtype, rid, version = m.group(1), m.group(2), m.group(3)
            matches = [
                x
                for x in index
                if (x[0].endswith(f"/{rtype}/{rid}") or x[0] == f"{rtype}/{rid}" or (x[1] == rtype and x[2] == rid))
                and (version is None or x[3] == version)
            ]
            if not matches:
                out.append(Issue("error", path, f"can't find '{target}' in the document bundle", "structure"))
            elif len(matches) > 1 and version is None:
                out.append(
                    Issue("error", path, f"found {len(matches)} matches for '{target}' in the bundle", "structure")
                )
    return out


def _value_set(validator: Validator, vs: dict[str, Any], loc: str) -> list[Issue]:
    out: list[Issue] = []
    compose = _dict(vs.get("compose"))
    for part in ("include", "exclude"):
        for i, inc in enumerate(compose.get(part) or []):
            system = inc.get("system") if isinstance(inc, dict) else None
            if isinstance(system, str) and (system.startswith("#") or not _SCHEME.match(system)):
                out.append(
                    Issue(
                        "error",
                        f"{loc}.compose.{part}[{i}].system",
                        f"ValueSet.compose.{part}.system must be an absolute URI ({system}); a contained code "
                        "system is named by its canonical URL",
                        "value",
                    )
                )
            for j, f in enumerate(inc.get("filter") or [] if isinstance(inc, dict) else []):
                if system == _SCT and isinstance(f, dict) and f.get("property") == "constraint":
                    problem = _ecl_problem(str(f.get("value", "")))
                    if problem:
                        out.append(
                            Issue("error", f"{loc}.compose.{part}[{i}].filter[{j}]", f"invalid ECL: {problem}", "value")
                        )
    return out


def _search_parameter(validator: Validator, sp: dict[str, Any], loc: str) -> list[Issue]:
    out: list[Issue] = []
    if sp.get("type") == "composite" and len(sp.get("component") or []) < 2:
        out.append(Issue("error", loc, "a composite SearchParameter must define two or more components", "structure"))
    derived = sp.get("derivedFrom")
    parent = validator.conformance.search_parameter(derived) if isinstance(derived, str) else None
    if parent is not None:
        if sp.get("type") and parent.get("type") and sp["type"] != parent["type"]:
            out.append(
                Issue(
                    "error",
                    f"{loc}.type",
                    f"type {sp['type']} differs from type {parent['type']} of {derived}",
                    "value",
                )
            )
        bases = set(parent.get("base") or [])
        for b in sp.get("base") or []:
            if bases and b not in bases and not bases & {"Resource", "DomainResource"}:
                out.append(
                    Issue(
                        "error", f"{loc}.base", f"{b} is not a base of {derived}, which this is derived from", "value"
                    )
                )
    return out


def _capability_statement(validator: Validator, cs: dict[str, Any], loc: str) -> list[Issue]:
    out: list[Issue] = []
    for r, rest in enumerate(cs.get("rest") or []):
        for k, res in enumerate((rest or {}).get("resource") or []):
            for j, param in enumerate((res or {}).get("searchParam") or []):
                if not isinstance(param, dict) or not isinstance(param.get("definition"), str):
                    continue
                sp = validator.conformance.search_parameter(param["definition"])
                if sp is not None and param.get("type") and sp.get("type") and param["type"] != sp["type"]:
                    out.append(
                        Issue(
                            "error",
                            f"{loc}.rest[{r}].resource[{k}].searchParam[{j}]",
                            f"type mismatch: {param['definition']} is of type {sp['type']}, not {param['type']}",
                            "value",
                        )
                    )
    return out


def _code_system(validator: Validator, cs: dict[str, Any], loc: str) -> list[Issue]:
    out: list[Issue] = []
    codes: set[str] = set()
    uris: set[str] = set()
    for i, prop in enumerate(cs.get("property") or []):
        if not isinstance(prop, dict):
            continue
        code, uri = prop.get("code"), prop.get("uri")
        if isinstance(code, str):
            if code in codes:
                out.append(
                    Issue(
                        "error",
                        f"{loc}.property[{i}]",
                        f"a property is already defined with the code '{code}'",
                        "value",
                    )
                )
            codes.add(code)
        if isinstance(uri, str):
            if uri in uris:
                out.append(
                    Issue(
                        "error", f"{loc}.property[{i}]", f"a property is already defined with the URI '{uri}'", "value"
                    )
                )
            uris.add(uri)
    return out


def _structure_definition(validator: Validator, sd: dict[str, Any], loc: str) -> list[Issue]:
    out: list[Issue] = []
    base_url = sd.get("baseDefinition")
    base = validator.tree(base_url) if isinstance(base_url, str) else None
    diff = _dict(sd.get("differential"))
    if base is None:
        return out
    for i, el in enumerate(diff.get("element") or []):
        path = el.get("path") if isinstance(el, dict) else None
        if isinstance(path, str) and not _path_exists(validator, base, path):
            out.append(
                Issue(
                    "error",
                    f"{loc}.differential.element[{i}].path",
                    f"{path} is not an element of {base.url}",
                    "structure",
                )
            )
    return out


def _path_exists(validator: Validator, tree: ProfileTree, path: str) -> bool:
    segs = path.split(".")
    if segs[0] != tree.root.path.split(".")[0]:
        return False
    node = tree.root
    for seg in segs[1:]:
        children = node.children
        if not children and len(node.type_codes) == 1:
            dt = validator.tree(_SD + node.type_codes[0])
            children = dt.root.children if dt is not None else {}
        nxt = children.get(seg)
        if nxt is None:
            for name, child in children.items():
                if child.is_choice and seg.startswith(name[:-3]):
                    suffix = seg[len(name) - 3 :]
                    if suffix in {type_suffix(c) for c in child.type_codes}:
                        nxt = child
                        break
        if nxt is None:
            return False
        node = nxt
    return True


_ECL_TOKEN = re.compile(
    r"\s*(?:(?P<op><<!|>>!|<<|>>|<!|>!|<|>|\^|!!<|!!>)|(?P<id>\d{6,18})|(?P<term>\|[^|]*\|)|"
    r"(?P<kw>AND|OR|MINUS|and|or|minus)\b|(?P<p>[(),:={}*])|(?P<bad>\S))"
)


def _ecl_problem(text: str) -> str | None:
    """A light parse of a SNOMED CT expression constraint: operands joined by operators."""
    tokens = [m for m in _ECL_TOKEN.finditer(text) if m.group(0).strip()]
    expect_operand = True
    depth = 0
    for m in tokens:
        kind = m.lastgroup
        tok = m.group(0).strip()
        if kind == "bad":
            return f"unexpected '{tok}' in '{text}'"
        if kind == "op":
            if not expect_operand:
                return f"'{text}' - parse error at '{tok}'"
        elif kind in ("id",) or tok == "*":
            if not expect_operand:
                return f"'{text}' - parse error at '{tok}'"
            expect_operand = False
        elif kind == "term":
            if expect_operand:
                return f"'{text}' - parse error at '{tok}'"
        elif kind == "kw" or tok in (",", ":", "="):
            if expect_operand:
                return f"'{text}' - parse error at '{tok}'"
            expect_operand = True
        elif tok in ("(", "{"):
            if not expect_operand:
                return f"'{text}' - parse error at '{tok}'"
            depth += 1
        elif tok in (")", "}"):
            depth -= 1
            if depth < 0 or expect_operand:
                return f"'{text}' - parse error at '{tok}'"
    if expect_operand or depth:
        return f"'{text}' - incomplete expression"
    return None


_RULES = {
    "Bundle": _bundle,
    "ValueSet": _value_set,
    "SearchParameter": _search_parameter,
    "CapabilityStatement": _capability_statement,
    "CodeSystem": _code_system,
    "StructureDefinition": _structure_definition,
}
