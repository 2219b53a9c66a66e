"""documents.display.received_cda: the rules on any CDA and any page text, and the check
through the reference DPI's UI (passes clean, fails when the received document is shown as
raw XML, errors when the page map cannot lead to the display)."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from lxml import etree

from homolog.fixtures.refsut import cda_view
from homolog.suites.documents.display_rules import (
    display_problems,
    expected_display,
    raw_xml_shown,
    synthetic_document,
)
from homolog.testing import run_check

CHECK = "documents.display.received_cda"


def _expected(seed: int = 1) -> tuple[bytes, Any]:
    document = synthetic_document(random.Random(seed))
    return document, expected_display(etree.fromstring(document))


def _rendered_text(document: bytes) -> str:
    from flask import Flask, render_template

    app = Flask(__name__, template_folder=str(Path(cda_view.__file__).parent / "templates"))
    with app.test_request_context():
        html = render_template(
            "cda_view.html", view=cda_view.render(document), view_error=None, title="t", back=None, csrf=""
        )
    return " ".join(etree.fromstring(html.encode(), etree.HTMLParser()).itertext())


def test_the_synthetic_document_changes_at_every_call() -> None:
    assert synthetic_document() != synthetic_document()
    assert synthetic_document(random.Random(3)) == synthetic_document(random.Random(3))


def test_expectation_names_header_traits_and_every_section() -> None:
    _, expected = _expected()
    labels = [label for label, _ in expected.header]
    assert labels == [
        "document type",
        "title",
        "document date",
        "patient's birth name",
        "patient's first given name",
        "patient's birth date",
        "patient's sex",
        "author's name",
    ]
    titles = [title for title, _ in expected.sections]
    assert titles == ["Hématologie", "Biochimie", "Glycémie — interprétation", "Commentaire du biologiste"]
    hemato = dict(expected.sections)["Hématologie"]
    assert "Hémoglobine" in hemato and "Valeurs de référence" in hemato


def test_a_readable_rendering_shows_everything() -> None:
    document, expected = _expected()
    text = _rendered_text(document)  # the text a browser shows of the reference rendering
    assert display_problems(text, expected) == []
    assert raw_xml_shown(text) is None


def test_a_page_missing_a_section_and_a_trait_is_told_what_lacks() -> None:
    document, expected = _expected()
    view = cda_view.render(document)
    text = " ".join(
        [view.title, view.type_label, view.date, view.patient_name, view.patient_given, view.patient_sex, view.author]
    )
    problems = dict(display_problems(text, expected))
    assert problems["the patient's birth date is not shown"][0] == cda_view.render(document).patient_birth_date
    assert problems["section 1 ('Hématologie') is not shown (no title)"] == ["Hématologie"]


def test_a_missing_narrative_piece_is_named() -> None:
    document, expected = _expected()
    full = etree.tostring(etree.fromstring(document), method="text", encoding="unicode")
    view = cda_view.render(document)
    header = f"{view.date} {view.patient_birth_date} {view.patient_sex}"
    assert display_problems(full + header, expected) == []
    ((sentence, missing),) = display_problems(full.replace("Créatinine", "") + header, expected)
    assert sentence == "section 2 ('Biochimie'): 1 of 5 narrative text pieces are not shown"
    assert missing[0].startswith("Créatinine : ")


@pytest.mark.parametrize(
    ("text", "ok"),
    [("28/03/1979", True), ("28/3/1979", True), ("1979-03-28", True), ("28 mars 1979", True), ("03/28/1979", False)],
)
def test_dates_are_accepted_in_french_forms(text: str, ok: bool) -> None:
    root = etree.fromstring(
        b'<ClinicalDocument xmlns="urn:hl7-org:v3"><recordTarget><patientRole><patient>'
        b'<birthTime value="19790328"/></patient></patientRole></recordTarget></ClinicalDocument>'
    )
    assert (display_problems(f"né le {text}", expected_display(root)) == []) is ok


def test_raw_xml_is_recognised() -> None:
    document, _ = _expected()
    assert raw_xml_shown(cda_view.pretty_xml(document)) == "<clinicaldocument"


def test_the_viewer_escapes_what_the_document_says() -> None:
    document = synthetic_document(random.Random(5)).replace(
        "Hématologie</title>".encode(), b"&lt;script&gt;alert(1)&lt;/script&gt;</title>"
    )
    view = cda_view.render(document)
    assert view.sections[0].title == "<script>alert(1)</script>"
    with pytest.raises(cda_view.ViewError, match="DTD"):
        cda_view.render(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "x">]><x/>')
    with pytest.raises(cda_view.ViewError, match="n'est pas un document CDA"):
        cda_view.render(b"<x/>")


@pytest.mark.browser
def test_passes_on_the_reference_dpi(clean_sut: Any, tmp_path: Path) -> None:
    res = run_check(CHECK, clean_sut.target_path, tmp_path=tmp_path)
    assert res.verdict == "passed", res.message
    names = [p.name for p in res.evidence]
    assert any(n.endswith("received-document.xml") for n in names)
    assert any(n.endswith("received-document-display.txt") for n in names)


@pytest.mark.browser
def test_fails_when_the_received_document_is_shown_as_raw_xml(refsut: Callable[..., Any], tmp_path: Path) -> None:
    sut = refsut(defects={"cda-received-raw-xml"}, session_timeout=300.0)
    res = run_check(CHECK, sut.target_path, tmp_path=tmp_path)
    assert res.verdict == "failed", res.message
    assert "shown as raw XML" in (res.message or "")


@pytest.mark.browser
def test_errors_when_the_display_region_is_not_found(refsut: Callable[..., Any], tmp_path: Path) -> None:
    sut = refsut(session_timeout=300.0)  # a loaded machine must not end the session inside the check
    doc = yaml.safe_load(Path(sut.target_path).read_text("utf-8"))
    doc["pages"]["document_received"]["locators"]["content"] = "#no-such-region"
    Path(sut.target_path).write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    res = run_check(CHECK, sut.target_path, tmp_path=tmp_path)
    assert res.verdict == "error", res.message
    assert "shows no document region" in (res.message or "")


def test_every_ans_example_shown_by_the_reference_viewer_meets_its_expectation(shared_data: Path) -> None:
    """The rules hold on the ANS's published examples (all volets), not only on our generator."""
    examples = sorted((shared_data / "cda" / "ExemplesCDA").glob("*.xml"))
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    judged = 0
    for path in examples:
        data = path.read_bytes()
        root = etree.fromstring(data, parser)
        if root.tag != "{urn:hl7-org:v3}ClinicalDocument":
            continue  # the "auto-présentable" wrappers
        expected = expected_display(root)
        assert display_problems(_rendered_text(data), expected) == [], path.name
        judged += bool(expected.sections)  # level-1 documents (nonXMLBody) have a header only
    assert judged >= 80


@pytest.mark.browser
def test_a_session_lapsing_at_the_import_is_logged_in_again(
    refsut: Callable[..., Any], tmp_path: Path, session_lapse: Callable[..., list[str]]
) -> None:
    lapsed = session_lapse("/documents/received/import", 1)
    # the system's own timeout long enough that a loaded machine adds no lapse of its own
    res = run_check(CHECK, refsut(session_timeout=300.0).target_path, tmp_path=tmp_path)
    assert lapsed
    assert res.verdict == "passed", res.message
    assert any(p.name.endswith("session-lapsed.txt") for p in res.evidence)
