"""The validator's fast paths against the plain ones they replaced, on every ANS example and
generated document: the document reaches Saxon as bytes (an in-memory file) instead of
text, the compiled schematron offers rules on a child only the elements with that
child (``compile_to_xslt(child_gates=...)``), and an SVRL report without assertion results
is read from its text instead of being parsed. Same SVRL and issues, each document read
afresh, memory flat."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from homolog.fixtures.refsut.cda import build_document
from homolog.suites.documents.schematron import (
    CompiledSchematron,
    SchematronError,
    compile_to_xslt,
    parse_for_saxon,
    saxon_processor,
)
from homolog.suites.documents.svrl import _fired_without_results, _parse_svrl_xml, parse_svrl
from homolog.suites.documents.validator import DocumentError, DocumentValidator, parse_document
from homolog.suites.documents.volets import detect_volet

from .conftest import AUTHOR, CUSTODIAN, PATIENT_PROVISIONAL, PATIENT_QUALIFIED

WHEN = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
# Run besides each document's own schematron (the terminology one on generated documents
# only: it takes ~0.1 s per ANS example).
CONTENT_MODEL = "profils/CI-SIS_ModelesDeContenusCDA.sch"
TERMINOLOGY = "profils/terminologies/schematron/terminologie.sch"


def _generated() -> list[tuple[str, bytes]]:
    out = []
    for kind in ("VSM", "LDL-SES"):
        for defects in ((), ("cda-invalid",), ("cda-wrong-ins-oid",), ("cda-legal-entity-finess",)):
            for patient in (PATIENT_QUALIFIED, PATIENT_PROVISIONAL):
                data = build_document(
                    kind,
                    patient=patient,
                    author=AUTHOR,
                    custodian=CUSTODIAN,
                    defects=frozenset(defects),
                    effective_time=WHEN,
                )
                out.append((f"{kind}-{'-'.join(defects) or 'clean'}-{patient['status']}", data))
    return out


def _as_text(data: bytes, tree: etree._ElementTree) -> str:
    # What the validator handed Saxon before it handed bytes.
    if (tree.docinfo.encoding or "").upper() == "UTF-8":
        return data.decode("utf-8-sig")
    return etree.tostring(tree, encoding="unicode")


class _Plain:
    """A schematron compiled without child gates."""

    def __init__(self, compiled: CompiledSchematron) -> None:
        xslt = compile_to_xslt(compiled.path, phase=compiled.phase, child_gates=False)
        self._executable = saxon_processor().new_xslt30_processor().compile_stylesheet(stylesheet_text=xslt.decode())

    def run(self, node: object) -> str:
        return str(self._executable.transform_to_string(xdm_node=node))


@pytest.mark.slow
def test_fast_and_plain_paths_give_the_same_svrl_on_every_example(cda_root: Path, validator: DocumentValidator) -> None:
    examples = [(p.name, p.read_bytes(), False) for p in sorted((cda_root / "ExemplesCDA").glob("*.xml"))]
    docs = examples + [(name, data, True) for name, data in _generated()]
    content_model, terminology = (
        validator.compiled(validator.material.schematron_dir / p) for p in (CONTENT_MODEL, TERMINOLOGY)
    )
    plain: dict[Path, _Plain] = {}
    compared = failing = read_as_text = 0
    for name, data, generated in docs:
        try:
            tree = parse_document(data)
        except DocumentError:
            continue  # refused before Saxon sees it (the self-presenting stylesheets)
        volet = detect_volet(tree.getroot())
        try:
            own = [validator.compiled(validator.resolve_schematron(volet))] if volet else []
        except SchematronError:
            own = []  # the material's CR-BIO 2023.01 schematron lacks an included folder
        from_text = parse_for_saxon(_as_text(data, tree))
        from_bytes = parse_for_saxon(data)
        for compiled in [*own, content_model, *([terminology] if generated else [])]:
            if compiled.path not in plain:
                plain[compiled.path] = _Plain(compiled)
            old, new = plain[compiled.path].run(from_text), compiled.run(from_bytes)
            assert new == old, f"{name} with {compiled.path.name}: SVRL differs"
            assert parse_svrl(new) == _parse_svrl_xml(new), f"{name} with {compiled.path.name}: issues differ"
            compared += 1
            failing += "failed-assert" in new
            read_as_text += _fired_without_results(new) is not None
    # The comparison covered every example, documents that fail rules as well as valid
    # ones, and reports read from their text as well as parsed ones.
    assert compared >= 2 * 86 + 3 * len(_generated())
    assert failing >= 10, failing
    assert read_as_text >= 20, read_as_text


def test_each_document_is_read_afresh(cda_root: Path, validator: DocumentValidator) -> None:
    # The in-memory file of each document gets a file descriptor number the previous one
    # had: Saxon must not serve the previous document for the same name.
    first = b'<?xml version="1.0" encoding="UTF-8"?><a xmlns="urn:x">premi\xc3\xa8re</a>'
    second = b'<?xml version="1.0" encoding="UTF-8"?><a xmlns="urn:x">seconde</a>'
    assert "première" in str(parse_for_saxon(first))
    assert "seconde" in str(parse_for_saxon(second))
    assert "première" in str(parse_for_saxon(first))
    latin1 = '<?xml version="1.0" encoding="ISO-8859-1"?><a>é</a>'.encode("latin-1")
    assert "<a>é</a>" in str(parse_for_saxon(latin1))


def test_bytes_that_are_not_xml_are_a_schematron_error() -> None:
    with pytest.raises(SchematronError, match="Saxon cannot parse"):
        parse_for_saxon(b"<a><b></a>")


# Parses 2,000 documents of 200,000 characters in a process of its own (in a test worker,
# the resident size carries whatever earlier tests left to Saxon's collector: CI once saw
# +146 MB there without any document kept) and prints the resident size, in MB, after each
# 250; with "keep", it holds every parsed node, as a Saxon pooling its documents would.
_RSS_TRACK = """
import sys
from homolog.suites.documents.schematron import parse_for_saxon

def rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20

text = "\u00e9" + "x" * 200_000
kept, sizes = [], []
for n in range(2000):
    node = parse_for_saxon(f'<?xml version="1.0" encoding="UTF-8"?><doc id="{n}">{text}</doc>'.encode())
    if sys.argv[1] == "keep":
        kept.append(node)
    if n % 250 == 249:
        sizes.append(rss())
print(" ".join(f"{size:.1f}" for size in sizes))
"""


def _growth_mb(mode: str) -> float:
    """How much the resident size grew from the warm-up (500 documents: the largest of its
    two figures) to the end."""
    done = subprocess.run(
        [sys.executable, "-c", _RSS_TRACK, mode], capture_output=True, text=True, timeout=300, check=True
    )
    sizes = [float(size) for size in done.stdout.split()]
    assert len(sizes) == 8, done.stdout
    return sizes[-1] - max(sizes[:2])


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads the resident size from /proc")
@pytest.mark.slow
def test_memory_stays_flat_over_many_documents() -> None:
    # Measured on an idle machine: dropped, the end is within ±30 MB of the warm-up (GC
    # swings); kept, it grows by ~260 MB over the 1,500 documents after the warm-up.
    assert _growth_mb("drop") < 128
    # The measure sees a document pool: holding the nodes grows past the bound.
    assert _growth_mb("keep") > 128


_ROOT = (
    '<?xml version="1.0" encoding="UTF-8"?><svrl:schematron-output xmlns:cda="urn:hl7-org:v3"'
    ' xmlns:svrl="http://purl.oclc.org/dsdl/svrl" title="t" phase="#ALL">'
)
_RULE = '<svrl:fired-rule context="cda:a"/>'


@pytest.mark.parametrize(
    ("svrl", "read_as_text"),
    [
        (_ROOT + '<svrl:active-pattern id="p"/>' + _RULE * 3 + "</svrl:schematron-output>", True),
        (_ROOT + '<svrl:active-pattern id="p"/></svrl:schematron-output>', True),
        # A result: parsed.
        (
            _ROOT + _RULE + '<svrl:failed-assert test="x" location="/a"><svrl:text>bad</svrl:text>'
            "</svrl:failed-assert></svrl:schematron-output>",
            False,
        ),
        (
            _ROOT + _RULE + '<svrl:successful-report test="x" location="/a" role="warning">'
            "<svrl:text>note</svrl:text></svrl:successful-report></svrl:schematron-output>",
            False,
        ),
        # fired-rule elements not written as <svrl:fired-rule: the count of the text would
        # be wrong, so these are parsed.
        (_ROOT + _RULE + '<s:fired-rule xmlns:s="http://purl.oclc.org/dsdl/svrl"/></svrl:schematron-output>', False),
        (_ROOT + _RULE + '<fired-rule xmlns="http://purl.oclc.org/dsdl/svrl"/></svrl:schematron-output>', False),
        # <svrl:fired-rule that is not an element in the SVRL namespace, or "fired-rule"
        # where no element is: parsed.
        (_ROOT + _RULE + '<x xmlns:svrl="urn:other"><svrl:fired-rule/></x></svrl:schematron-output>', False),
        (_ROOT + _RULE + "<!-- <svrl:fired-rule/> --></svrl:schematron-output>", False),
        (_ROOT + _RULE + "<x><![CDATA[<svrl:fired-rule/>]]></x></svrl:schematron-output>", False),
        (_ROOT + _RULE + "<?pi <svrl:fired-rule/>?></svrl:schematron-output>", False),
        (_ROOT + '<svrl:fired-rule context="cda:fired-rule"/></svrl:schematron-output>', False),
        # Not the form the compiled schematrons write.
        (_ROOT.replace(' encoding="UTF-8"', "") + _RULE + "</svrl:schematron-output>", False),
        (_ROOT.replace("svrl:schematron-output", "svrl:output") + _RULE + "</svrl:output>", False),
    ],
)
def test_svrl_is_read_from_its_text_only_when_that_gives_the_parsed_result(svrl: str, read_as_text: bool) -> None:
    assert (_fired_without_results(svrl) is not None) is read_as_text
    assert parse_svrl(svrl) == _parse_svrl_xml(svrl)
    assert parse_svrl(svrl.encode()) == _parse_svrl_xml(svrl)
