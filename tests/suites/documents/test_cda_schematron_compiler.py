"""The schematron compiler on small schematrons written for each feature it supports."""

from __future__ import annotations

from pathlib import Path

import pytest

from homolog.suites.documents import schematron
from homolog.suites.documents.schematron import (
    CompiledSchematron,
    ElementOffer,
    SchematronError,
    cache_key,
    compile_to_xslt,
    element_names,
    element_offer,
    may_match_attributes,
    required_child,
    saxon_processor,
)
from homolog.suites.documents.svrl import parse_svrl

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2" {attrs}>
  <ns prefix="h" uri="urn:hl7-org:v3"/>
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _run(sch: Path, doc: str, cache: Path, **kw: object) -> list:
    compiled = CompiledSchematron.load(sch, cache_dir=cache, **kw)  # type: ignore[arg-type]
    issues, _ = parse_svrl(compiled.run(doc))
    return issues


DOC = '<r xmlns="urn:hl7-org:v3"><a code="1"/><a code="2"/><b value="2024-01-05"/><c>text</c></r>'


def test_assert_report_value_of_name_and_xpath2(tmp_path: Path) -> None:
    sch = _write(
        tmp_path,
        "s.sch",
        HEAD.format(attrs="")
        + """
  <pattern id="p1">
    <rule context="h:a">
      <assert id="A1" role="error" test="@code = '1'"
        >code of <name/> is <value-of select="@code"/></assert>
      <report role="warning" test="@code = '2'">two</report>
    </rule>
    <rule context="h:b">
      <!-- XPath 2 only: a typed date comparison and matches() -->
      <assert test="xs:date(@value) lt xs:date('2020-01-01')
                    and matches(@value, '^\\d{4}')">date</assert>
    </rule>
  </pattern>
</schema>""".replace('queryBinding="xslt2"', 'queryBinding="xslt2" xmlns:xs="http://www.w3.org/2001/XMLSchema"'),
    )
    issues = _run(sch, DOC, tmp_path / "c")
    by_msg = {i.message: i for i in issues}
    assert "code of a is 2" in by_msg
    failed = by_msg["code of a is 2"]
    assert (failed.severity, failed.rule_id) == ("error", "A1")
    assert failed.location == "/cda:r[1]/cda:a[2]"
    assert by_msg["two"].severity == "warning"
    assert by_msg["date"].rule_id == "p1"
    assert len(issues) == 3


def test_first_matching_rule_of_a_pattern_wins(tmp_path: Path) -> None:
    sch = _write(
        tmp_path,
        "s.sch",
        HEAD.format(attrs="")
        + """
  <pattern id="p">
    <rule context="h:a[@code='1']"><assert test="false()">first</assert></rule>
    <rule context="h:a"><assert test="false()">second</assert></rule>
  </pattern>
  <pattern id="q">
    <rule context="h:a"><assert test="false()">other pattern</assert></rule>
  </pattern>
</schema>""",
    )
    messages = sorted(i.message for i in _run(sch, DOC, tmp_path / "c"))
    # a[1] fires "first" only; a[2] fires "second"; pattern q fires on both.
    assert messages == ["first", "other pattern", "other pattern", "second"]


def test_includes_abstract_patterns_lets_and_extends(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "abstract/inSet.sch",
        """<pattern xmlns="http://purl.oclc.org/dsdl/schematron"
        id="inSet" abstract="true">
      <rule context="$elt">
        <let name="v" value="@code"/>
        <assert test="$v = $allowed"
          >code <value-of select="$v"/> not in <value-of select="$label"/></assert>
      </rule>
    </pattern>""",
    )
    _write(
        tmp_path,
        "include/codes.sch",
        """<pattern xmlns="http://purl.oclc.org/dsdl/schematron"
        id="codes" is-a="inSet">
      <param name="elt" value="h:a"/>
      <param name="allowed" value="$allowedCodes"/>
      <param name="label" value="'the set'"/>
    </pattern>""",
    )
    _write(
        tmp_path,
        "include/base.sch",
        """<rule xmlns="http://purl.oclc.org/dsdl/schematron"
        abstract="true" id="hasText"
        ><assert test="normalize-space(.) != ''">empty</assert></rule>""",
    )
    sch = _write(
        tmp_path,
        "s.sch",
        HEAD.format(attrs='defaultPhase="ph"')
        + """
  <include href="abstract/inSet.sch"/>
  <include href="include/codes.sch"/>
  <phase id="ph"><active pattern="vars"/><active pattern="codes"/><active pattern="texts"/></phase>
  <pattern id="vars"><let name="allowedCodes" value="('1', '3')"/></pattern>
  <pattern id="texts">
    <include href="include/base.sch"/>
    <rule context="h:c | h:r"><extends rule="hasText"/><assert test="true()">never</assert></rule>
  </pattern>
  <pattern id="inactive">
    <rule context="h:r"><assert test="false()">inactive</assert></rule></pattern>
</schema>""",
    )
    issues = _run(sch, DOC, tmp_path / "c")
    assert [i.message for i in issues] == ["code 2 not in the set"]
    assert issues[0].rule_id == "codes"
    # Every pattern, phase ignored: the inactive pattern fires too.
    all_phases = _run(sch, DOC, tmp_path / "c", phase="#ALL")
    assert "inactive" in [i.message for i in all_phases]


def test_diagnostics_and_case_insensitive_include(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "Inc/Part.sch",
        """<pattern
        xmlns="http://purl.oclc.org/dsdl/schematron" id="p"><rule context="h:c"
        ><assert test="false()" diagnostics="d1">bad c</assert></rule></pattern>""",
    )
    sch = _write(
        tmp_path,
        "s.sch",
        HEAD.format(attrs="")
        + """
  <include href="inc/part.sch"/>
  <diagnostics><diagnostic id="d1">found <value-of select="."/></diagnostic></diagnostics>
</schema>""",
    )
    compiled = CompiledSchematron.load(sch, cache_dir=tmp_path / "c")
    svrl = compiled.run(DOC)
    assert "found text" in svrl
    assert [i.message for i in parse_svrl(svrl)[0]] == ["bad c"]


def test_missing_include_and_unknown_phase_are_clear_errors(tmp_path: Path) -> None:
    sch = _write(tmp_path, "s.sch", HEAD.format(attrs="") + '<include href="nope.sch"/></schema>')
    with pytest.raises(SchematronError, match=r"nope\.sch not found"):
        CompiledSchematron.load(sch, cache_dir=tmp_path / "c")
    sch2 = _write(tmp_path, "t.sch", HEAD.format(attrs='defaultPhase="zz"') + "</schema>")
    with pytest.raises(SchematronError, match="phase 'zz' is not defined"):
        CompiledSchematron.load(sch2, cache_dir=tmp_path / "c")
    with pytest.raises(SchematronError, match="not found"):
        CompiledSchematron.load(tmp_path / "absent.sch", cache_dir=tmp_path / "c")


def test_cache_is_keyed_by_content_of_every_included_file(tmp_path: Path) -> None:
    inc = _write(
        tmp_path,
        "i.sch",
        """<pattern xmlns="http://purl.oclc.org/dsdl/schematron" id="p">
      <rule context="h:c"><assert test="false()">v1</assert></rule></pattern>""",
    )
    sch = _write(tmp_path, "s.sch", HEAD.format(attrs="") + '<include href="i.sch"/></schema>')
    cache = tmp_path / "c"
    first = CompiledSchematron.load(sch, cache_dir=cache)
    assert first.xslt_path.is_file()
    key1 = cache_key(sch, None)
    again = CompiledSchematron.load(sch, cache_dir=cache)
    assert again.xslt_path == first.xslt_path
    inc.write_text(inc.read_text().replace("v1", "v2"))
    assert cache_key(sch, None) != key1
    changed = CompiledSchematron.load(sch, cache_dir=cache)
    assert changed.xslt_path != first.xslt_path
    assert [i.message for i in parse_svrl(changed.run(DOC))[0]] == ["v2"]
    assert len(list(cache.glob("*.xsl"))) == 2


def test_a_cached_stylesheet_saxon_cannot_read_or_an_unwritable_cache_only_costs_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sch = _write(
        tmp_path,
        "s.sch",
        HEAD.format(attrs="") + '<pattern id="p"><rule context="h:c"><assert test="false()">c</assert></rule>'
        "</pattern></schema>",
    )
    cache = tmp_path / "c"
    first = CompiledSchematron.load(sch, cache_dir=cache)
    good = first.xslt_path.read_bytes()
    assert [i.message for i in parse_svrl(first.run(DOC))[0]] == ["c"]
    # Cut short (a crash before the file reached the disk): a new process compiles anew and
    # caches the stylesheet again, instead of failing every document from then on.
    first.xslt_path.write_bytes(good[: len(good) // 2])
    monkeypatch.setattr(schematron, "_LOADED", {})  # (a new process: nothing in memory)
    again = CompiledSchematron.load(sch, cache_dir=cache)
    assert [i.message for i in parse_svrl(again.run(DOC))[0]] == ["c"]
    assert again.xslt_path.read_bytes() == good
    assert [p.name for p in cache.iterdir()] == [again.xslt_path.name]  # no temporary file left
    # A cache folder that cannot be made: compiled from a temporary file, nothing cached.
    blocked = tmp_path / "a-file"
    blocked.write_text("", "utf-8")
    monkeypatch.setattr(schematron, "_LOADED", {})
    alone = CompiledSchematron.load(sch, cache_dir=blocked / "c")
    assert [i.message for i in parse_svrl(alone.run(DOC))[0]] == ["c"]
    assert not alone.xslt_path.exists()


def test_one_walk_keeps_each_pattern_its_results_in_document_order(tmp_path: Path) -> None:
    sch = _write(
        tmp_path,
        "s.sch",
        HEAD.format(attrs="")
        + """
  <pattern id="p"><rule context="h:a | h:b"><report test="true()">p <name/></report></rule></pattern>
  <pattern id="q"><rule context="/"><report test="true()">q root</report></rule>
    <rule context="h:c"><report test="true()">q c</report></rule></pattern>
  <pattern id="attrs"><rule context="h:a/@code"><assert test=". = '1'">code <value-of select="."/></assert></rule>
  </pattern>
</schema>""",
    )
    compiled = CompiledSchematron.load(sch, cache_dir=tmp_path / "c")
    svrl = compiled.run(DOC)
    assert "homolog-mark" not in svrl  # the walk's marks are removed from the SVRL
    issues, fired = parse_svrl(svrl)
    assert [(i.rule_id, i.message) for i in issues] == [
        ("p", "p a"),
        ("p", "p a"),
        ("p", "p b"),
        ("q", "q root"),
        ("q", "q c"),
        ("attrs", "code 2"),
    ]
    assert issues[-1].location == "/cda:r[1]/cda:a[2]/@code"
    assert fired == 7  # p: a, a, b; q: /, c; attrs: two @code


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ("cda:observation", False),
        ("cda:entry[@typeCode='DRIV']/cda:act[cda:code/@code = 'x']", False),
        ("*[cda:templateId/@root='1.2.3']//cda:code", False),
        ("cda:a | cda:b/cda:c", False),
        ("node()", False),
        ("text()", False),
        ("cda:code/@code", True),
        ("@*", True),
        ("cda:a | cda:b/@nullFlavor", True),
        ("cda:value/attribute::unit", True),
        (".", True),
        ("key('k', 'v')", True),
        ("cda:a[contains(@x, '/@y')]", False),
    ],
)
def test_attribute_contexts_are_recognised(context: str, expected: bool) -> None:
    assert may_match_attributes(context) is expected


def test_compiled_schematrons_and_xsd_are_kept_per_process(cda_root: Path, tmp_path: Path) -> None:
    from homolog.suites.documents.material import AnsMaterial
    from homolog.suites.documents.validator import DocumentValidator, load_xsd

    sch = cda_root / "schematrons" / "CI-SIS_LDL-SES_2022.01.sch"
    first = CompiledSchematron.load(sch, cache_dir=tmp_path / "one")
    # Another validator, another disk cache: same process, same compiled object, no compilation.
    again = DocumentValidator(AnsMaterial.from_root(cda_root), cache_dir=tmp_path / "two").compiled(sch)
    assert again is first
    assert not (tmp_path / "two").exists()
    fresh = CompiledSchematron.load(sch, cache_dir=tmp_path / "two", use_cache=False)
    assert fresh is not first and (tmp_path / "two").is_dir()
    xsd = cda_root / "infrastructure" / "cda" / "CDA_extended.xsd"
    assert load_xsd(xsd)[0] is load_xsd(xsd)[0]


V3 = "{urn:hl7-org:v3}"


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ("cda:observation", {f"{V3}observation"}),
        ("cda:entry[cda:templateId/@root='1']/cda:act/cda:code", {f"{V3}code"}),
        ("cda:a | cda:b//cda:c", {f"{V3}a", f"{V3}c"}),
        ("/cda:ClinicalDocument", {f"{V3}ClinicalDocument"}),
        ("child::cda:x[1]", {f"{V3}x"}),
        ("plain", {"{}plain"}),
        ("/", set()),
        ("cda:code/@code", set()),
        ("*[cda:templateId/@root='1.2.3']", None),
        ("cda:*", None),
        ("node()", None),
        ("element(cda:x)", None),
        ("unknown:x", None),
        ("cda:a | *", None),
        ("(cda:a | cda:b)", None),
    ],
)
def test_element_names_of_rule_contexts(context: str, expected: set[str] | None) -> None:
    names = element_names(context, {"cda": "urn:hl7-org:v3"})
    assert (None if names is None else set(names)) == expected


def test_elements_reach_only_the_patterns_that_can_match_them(tmp_path: Path) -> None:
    # One pattern per rule kind: named, wildcard, attribute; every rule still fires where
    # it should, once per node.
    sch = _write(
        tmp_path,
        "s.sch",
        HEAD.format(attrs="")
        + """
  <pattern id="named"><rule context="h:b"><report test="true()">b</report></rule></pattern>
  <pattern id="any"><rule context="*[@code]"><report test="true()">any <name/></report></rule></pattern>
  <pattern id="mixed"><rule context="h:c | h:a[@code='2']"><report test="true()">m <name/></report></rule>
    <rule context="*"><report test="true()">other <name/></report></rule></pattern>
</schema>""",
    )
    issues, _ = parse_svrl(CompiledSchematron.load(sch, cache_dir=tmp_path / "c").run(DOC))
    assert [(i.rule_id, i.message) for i in issues] == [
        ("named", "b"),
        ("any", "any a"),
        ("any", "any a"),
        ("mixed", "other r"),
        ("mixed", "other a"),
        ("mixed", "m a"),
        ("mixed", "other b"),
        ("mixed", "m c"),
    ]


TID = "Q{urn:hl7-org:v3}templateId"


@pytest.mark.parametrize(
    ("predicate", "expected"),
    [
        ("cda:templateId/@root='1.2'", TID),
        ('cda:templateId/@root = "1.2"', TID),
        ("./cda:templateId/@root = '1'", TID),
        ("cda:templateId[@root='1']", TID),
        ("cda:templateId/@root != '1'", TID),
        ("cda:templateId/@root = ('1', '2')", TID),
        ("not(cda:x) and cda:templateId/@root = '1'", TID),
        ("cda:templateId/@root = '1' or cda:templateId[@root = '2']", TID),
        ("*:templateId/@root = '1'", "*:templateId"),
        ("cda:x[@a = '1]['] = 2", "Q{urn:hl7-org:v3}x"),
        ("plain/@a", "Q{}plain"),
        # Not read, or true without the child: nothing known.
        ("cda:templateId/@root = '1' or cda:code", None),
        ("not(cda:templateId)", None),
        ("count(cda:templateId) = 0", None),
        ("cda:templateId/@root = 'a' = 'b'", None),
        ("'1' = cda:templateId/@root", None),
        ("cda:x/@n < 3", None),
        ("cda:x => count() = 1", None),
        ("cda:x | cda:y = 'v'", None),
        ("(cda:x) = 1", None),
        ("cda:x//cda:y = 'v'", None),
        ("/cda:x = 'v'", None),
        ("../cda:x = 1", None),
        ("$v = 'x'", None),
        ("@root = 'x'", None),
        ("cda:x/text() = 'a'", None),
        ("unknown:x = 1", None),
        ("cda:templateId/@root = '1' or", None),
    ],
)
def test_the_child_a_predicate_needs(predicate: str, expected: str | None) -> None:
    assert required_child(predicate, {"cda": "urn:hl7-org:v3"}) == expected


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ("cda:a[cda:b]", ElementOffer(names=frozenset({f"{V3}a"}))),
        ("*[cda:templateId/@root = '1']", ElementOffer(children=frozenset({TID}))),
        ("*[cda:x/@y = '1']//*[cda:templateId[@root = '2']]", ElementOffer(children=frozenset({TID}))),
        ("cda:a | *[cda:templateId/@root = '1']", ElementOffer(names=frozenset({f"{V3}a"}), children=frozenset({TID}))),
        ("*[cda:templateId/@root = '1'] | @code", ElementOffer(children=frozenset({TID}))),
        ("*[cda:templateId/@root = '1'][1]", ElementOffer(anything=True)),
        ("*[not(cda:templateId)]", ElementOffer(anything=True)),
        ("*[@code]", ElementOffer(anything=True)),
        ("cda:a | *", ElementOffer(anything=True)),
        ("*:a[cda:templateId/@root = '1']", ElementOffer(anything=True)),
    ],
)
def test_elements_offered_to_a_rule(context: str, expected: ElementOffer) -> None:
    assert element_offer(context, {"cda": "urn:hl7-org:v3"}) == expected


def test_rules_on_a_child_reach_exactly_the_elements_they_match(tmp_path: Path) -> None:
    # Gated rules fire on the elements with the child and the right value, and the rules
    # that also match elements without it (not read as gated) still reach those.
    patterns = """
  <pattern id="tid"><rule context="*[h:t/@root = 'x']"><report test="true()">tid <name/></report></rule></pattern>
  <pattern id="tid-or"><rule context="*[h:t[@root = 'y'] or h:t/@root = 'x']">
    <report test="true()">or <name/></report></rule></pattern>
  <pattern id="without"><rule context="*[not(h:t)]"><report test="true()">none <name/></report></rule></pattern>
  <pattern id="either"><rule context="*[h:t/@root = 'x' or @code]"><report test="true()">either <name/></report></rule>
  </pattern>
"""
    sch = _write(tmp_path, "s.sch", HEAD.format(attrs="") + patterns + "</schema>")
    doc = (
        '<r xmlns="urn:hl7-org:v3"><a code="1"><t root="x"/></a><b><t root="y"/></b>'
        '<c><t root="z"/><d><t root="x"/></d></c><e code="2"/></r>'
    )
    issues = _run(sch, doc, tmp_path / "c")
    assert [(i.rule_id, i.message) for i in issues] == [
        ("tid", "tid a"),
        ("tid", "tid d"),
        ("tid-or", "or a"),
        ("tid-or", "or b"),
        ("tid-or", "or d"),
        ("without", "none r"),
        ("without", "none t"),
        ("without", "none t"),
        ("without", "none t"),
        ("without", "none t"),
        ("without", "none e"),
        ("either", "either a"),
        ("either", "either d"),
        ("either", "either e"),
    ]
    gated, plain = (compile_to_xslt(sch, child_gates=g) for g in (True, False))
    gate = b'<xsl:if test="Q{urn:hl7-org:v3}t">'
    assert gate in gated and gate not in plain
    run = [
        saxon_processor().new_xslt30_processor().compile_stylesheet(stylesheet_text=x.decode()) for x in (gated, plain)
    ]
    node = saxon_processor().parse_xml(xml_text=doc)
    assert run[0].transform_to_string(xdm_node=node) == run[1].transform_to_string(xdm_node=node)
