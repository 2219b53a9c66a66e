"""The fr-core-api referential against sekmet-fhir (PyPI), a FHIR server nobody here wrote.

Run on its own: `pytest -m integration tests/suites/fhir`. Install: `pip install sekmet-fhir`
(tested with 0.1.1). Findings checked by hand (see the assertions' comments) — each one
is true of sekmet 0.1.1:

- FRCORE-API-03: its CapabilityStatement lists no supportedProfile (it claims no FR Core
  profile; true, and expected of a generic R4 server);
- FRCORE-API-12: it stores a Patient whose gender is 'homme' (201), although
  Patient.gender has a required binding to administrative-gender;
- FRCORE-API-13: a PUT whose body is not UTF-8 answers 500 ("Internal error: 'utf-8'
  codec can't decode ...") instead of a 400.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sekmetserver
import yaml
from loopback_web import QuietHandler, serving
from sekmetserver import sekmet_executable, sekmet_target

from homolog.suites.fhir.packages import Conformance
from homolog.testing import run_referential

pytestmark = pytest.mark.integration

REFERENTIAL = Path(__file__).resolve().parents[3] / "referentials" / "fr-core-api" / "fr-core-api-1.0.0.yaml"


@pytest.fixture(scope="module")
def sekmet(tmp_path_factory: pytest.TempPathFactory, fr_core: Conformance) -> Iterator[Path]:
    if sekmet_executable() is None:
        pytest.skip("sekmet is not installed: `pip install sekmet-fhir` to run this test")
    with sekmet_target(tmp_path_factory.mktemp("sekmet"), fr_core.examples()) as target:
        yield target


def test_fr_core_api_findings_on_sekmet(sekmet: Path, fhir_packages_env: None, tmp_path: Path) -> None:
    run = run_referential(REFERENTIAL, sekmet, tmp_path / "run")
    verdicts: dict[str, list[str]] = {}
    messages: dict[str, str] = {}
    for req in run["requirements"]:
        for c in req["checks"]:
            verdicts.setdefault(req["id"], []).append(c["verdict"])
            messages[req["id"]] = messages.get(req["id"], "") + (c.get("message") or "")
    failed = {rid for rid, vs in verdicts.items() if "failed" in vs}
    assert failed == {"FRCORE-API-03", "FRCORE-API-12", "FRCORE-API-13"}, messages
    assert all(vs == ["passed"] * len(vs) for rid, vs in verdicts.items() if rid not in failed)
    assert (
        "does not list https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-ins" in messages["FRCORE-API-03"]
    )
    assert "gender outside its required value set: expected 400 or 422, got 201" in messages["FRCORE-API-12"]
    assert "500 for PUT /fhir/Patient/" in messages["FRCORE-API-13"]


def test_a_port_taken_before_sekmet_binds_it_is_left_for_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fr_core: Conformance
) -> None:
    """The port found free is taken by another server before sekmet starts (as the suite's
    own servers may): sekmet exits, and the target must not point at the other server."""
    if sekmet_executable() is None:
        pytest.skip("sekmet is not installed: `pip install sekmet-fhir` to run this test")

    class Other(QuietHandler):
        def do_GET(self) -> None:
            self.send(200, '{"resourceType": "CapabilityStatement"}', {"Content-Type": "application/fhir+json"})

        do_POST = do_GET

    with serving(Other) as other:
        taken = int(other.rsplit(":", 1)[1])
        ports = iter([taken])
        real = sekmetserver._free_port
        monkeypatch.setattr(sekmetserver, "_free_port", lambda: next(ports, None) or real())
        with sekmet_target(tmp_path, fr_core.examples()) as target:
            base = yaml.safe_load(target.read_text("utf-8"))["base_urls"]["fhir"]
    assert f":{taken}/" not in base
    assert "address already in use" in (tmp_path / "sekmet.log").read_text("utf-8", "replace")
