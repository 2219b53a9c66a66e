"""Caveats in every report: a result whose verdict stands but whose verification was limited
(FHIR dependency packages not found) is shown as such, passed results included."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree
from synthrun import SynthCheck, SynthReq, build_run

from homolog.reports import render

TEXT = (
    "validated without the FHIR packages hl7.terminology.r4#7.1.0, ans.fr.terminologies#1.7.0 (not found):"
    " what they define was not checked; `homolog materials fetch fhir` installs them"
)
CAVEAT = {
    "kind": "missing-fhir-packages",
    "text": TEXT,
    "packages": ["hl7.terminology.r4#7.1.0", "ans.fr.terminologies#1.7.0"],
    "weakens": "bindings to terminology.hl7.org value sets; bindings to ANS terminologies",
}


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return build_run(
        tmp_path / "run",
        [
            SynthReq(
                "FRCORE-API-10",
                "passed",
                title="Ressources conformes au profil",
                checks=[SynthCheck("fhir.profiles.resources_conform", "passed", caveats=[CAVEAT])],
            ),
            SynthReq(
                "INS-RNIV-02",
                "failed",
                title="Patient FR Core INS",
                checks=[
                    SynthCheck("fhir.profiles.resources_conform", "failed", "2 of 3 resource(s)", caveats=[CAVEAT])
                ],
            ),
            SynthReq("MES-SEC-02", "passed", checks=[SynthCheck("security.headers.hsts", "passed")]),
        ],
    )


def test_html_shows_the_caveats_in_the_summary_and_on_each_requirement(run_dir: Path) -> None:
    page = render(run_dir, ["html"])["html"].read_text("utf-8")
    banner = page[page.index('<div class="caveats"') : page.index("</div>", page.index('<div class="caveats"'))]
    assert "Réserves" in banner and "`homolog materials fetch fhir`" in banner
    assert '<a href="#req-FRCORE-API-10">FRCORE-API-10</a>, <a href="#req-INS-RNIV-02">INS-RNIV-02</a>' in banner
    assert page.index('<div class="caveats"') < page.index('<ul class="tiles">')  # first thing of the summary
    for rid in ("FRCORE-API-10", "INS-RNIV-02"):
        section = page[page.index(f'id="req-{rid}"') :]
        section = section[: section.index("</details>")]
        assert '<span class="caveat-mark">[Réserve]</span>' in section  # visible while collapsed
        assert '<p class="caveat" role="note">' in section and "bindings to ANS terminologies" in section
    other = page[page.index('id="req-MES-SEC-02"') :]
    assert "caveat" not in other[: other.index("</details>")]
    english = render(run_dir, ["html"], lang="en")["html"].read_text("utf-8")
    assert "<h3>Caveats</h3>" in english and "requirements concerned" in english


def test_pdf_shows_the_caveats(run_dir: Path) -> None:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is needed: apt-get install -y poppler-utils")
    path = render(run_dir, ["pdf"])["pdf"]
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout.split())
    assert "Réserves" in text and "homolog materials fetch fhir" in text
    assert text.count("Réserve :") >= 2  # each requirement concerned


def test_junit_has_a_caveat_property_on_each_testcase_concerned(run_dir: Path) -> None:
    path = render(run_dir, ["junit"])["junit"]
    root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    cases = {c.get("classname"): c for c in root.findall(".//testcase")}
    for rid in ("FRCORE-API-10", "INS-RNIV-02"):
        props = cases[rid].findall("properties/property")
        assert [(p.get("name"), p.get("value")) for p in props] == [("homolog.caveat", TEXT)]
        assert cases[rid].findtext("system-out").startswith(f"caveat: {TEXT}")
    assert cases["FRCORE-API-10"].find("failure") is None  # the verdict stands
    assert cases["MES-SEC-02"].find("properties") is None


def test_csv_has_a_caveats_column(run_dir: Path) -> None:
    path = render(run_dir, ["csv"])["csv"]
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = {r["requirement"]: r for r in csv.DictReader(fh)}
    assert rows["FRCORE-API-10"]["caveats"] == TEXT and rows["FRCORE-API-10"]["check_verdict"] == "passed"
    assert rows["MES-SEC-02"]["caveats"] == ""


def test_json_carries_the_structured_caveats(run_dir: Path) -> None:
    doc = json.loads(render(run_dir, ["json"])["json"].read_text("utf-8"))
    checks = {r["id"]: r["checks"][0] for r in doc["requirements"]}
    assert checks["FRCORE-API-10"]["caveats"] == [CAVEAT]
    assert checks["MES-SEC-02"]["caveats"] == []
