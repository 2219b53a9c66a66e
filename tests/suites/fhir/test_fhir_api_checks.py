"""The fhir.* checks against the reference SUT: clean passes, each defect fails its checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from homolog.testing import run_check, run_referential

REFERENTIAL = Path(__file__).resolve().parents[3] / "referentials" / "fr-core-api" / "fr-core-api-1.0.0.yaml"


@pytest.fixture(scope="module")
def clean_run(
    clean_sut: Any, fhir_packages_env: None, tmp_path_factory: pytest.TempPathFactory
) -> list[tuple[str, dict[str, Any]]]:
    """The whole fr-core-api referential run once against the clean reference SUT."""
    run = run_referential(REFERENTIAL, clean_sut.target_path, tmp_path_factory.mktemp("fhir-run"))
    return [(req["id"], c) for req in run["requirements"] for c in req["checks"]]


def test_clean_sut_passes_every_api_check(clean_run: list[tuple[str, dict[str, Any]]]) -> None:
    assert len(clean_run) == 15
    assert len({rid for rid, _ in clean_run}) == 13
    not_passed = [(rid, c["check"], c["verdict"], c.get("message")) for rid, c in clean_run if c["verdict"] != "passed"]
    assert not_passed == []


def test_clean_sut_test_data_conform_to_fr_core(clean_sut: Any, fhir_packages_env: None, tmp_path: Path) -> None:
    res = run_check(
        "fhir.profiles.resources_conform", clean_sut.target_path, tmp_path=tmp_path, params={"search": False}
    )
    assert res.verdict == "passed", res.message
    assert any(p.name.endswith("fhir-validation.json") for p in res.evidence)


def _run(target: Path, tmp_path: Path, check_id: str, **params: Any) -> Any:
    return run_check(check_id, target, tmp_path=tmp_path, params=params)


def test_no_operation_outcome_fails_error_checks(refsut: Any, fhir_packages_env: None, tmp_path: Path) -> None:
    sut = refsut(defects={"no-operation-outcome"})
    res = _run(sut.target_path, tmp_path, "fhir.errors.not_found")
    assert res.verdict == "failed"
    assert "answered 404 with content type text/plain" in res.message
    res = _run(sut.target_path, tmp_path, "fhir.errors.invalid_resource")
    assert res.verdict == "failed"
    assert "POST /fhir/Patient answered 4" in res.message and "text/plain" in res.message


def test_patient_profile_broken_fails_profile_check(refsut: Any, fhir_packages_env: None, tmp_path: Path) -> None:
    sut = refsut(defects={"patient-profile-broken"})
    res = _run(sut.target_path, tmp_path, "fhir.profiles.resources_conform", search=False)
    assert res.verdict == "failed"
    assert "Patient/pat-qual: error at Patient.name[0].given: maximum cardinality 1, found 2" in res.message


@pytest.mark.parametrize("parameter", ["identifier", "family", "birthdate"])
def test_search_ignores_params_fails_filter_checks(
    refsut: Any, fhir_packages_env: None, tmp_path: Path, parameter: str
) -> None:
    sut = refsut(defects={"search-ignores-params"})
    res = _run(sut.target_path, tmp_path, "fhir.search.filters", parameter=parameter)
    assert res.verdict == "failed"
    assert "resource(s) that do not match" in res.message
    assert "matches nothing by construction but returns" in res.message


def _target_with(clean_sut: Any, tmp_path: Path, **fhir: Any) -> Path:
    doc = yaml.safe_load(clean_sut.target_path.read_text("utf-8"))
    doc["tls"]["ca_file"] = str(clean_sut.target_path.parent / doc["tls"]["ca_file"])
    doc["settings"]["fhir"].update(fhir)
    target = tmp_path / "target.yaml"
    target.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return target


def test_bare_install_validates_with_the_shipped_packages_and_names_missing_ones(
    clean_sut: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No package anywhere but inside homolog: FR Core and R4 core are shipped.
    (tmp_path / "empty").mkdir()
    target = _target_with(clean_sut, tmp_path, packages=[str(tmp_path / "empty")])
    monkeypatch.setenv("HOMOLOG_FHIR_PACKAGES", str(tmp_path / "empty"))
    monkeypatch.setenv("HOME", str(tmp_path))
    res = run_check("fhir.profiles.resources_conform", target, tmp_path=tmp_path, params={"search": False})
    assert res.verdict == "passed", res.message
    (report,) = [p for p in res.evidence if p.name.endswith("fhir-validation.json")]
    missing = json.loads(report.read_text("utf-8"))["missing_packages"]
    assert [m["package"] for m in missing] == [
        "ans.fr.terminologies#1.7.0",
        "hl7.fhir.uv.extensions.r4#5.2.0",
        "hl7.terminology.r4#7.1.0",
    ]
    assert all(m["required_by"] == ["hl7.fhir.fr.core#2.2.0"] and m["weakens"] for m in missing)
    # The pass stands, with a caveat every report shows (issue 19: never a silent pass).
    (caveat,) = res.caveats
    assert caveat["kind"] == "missing-fhir-packages"
    assert caveat["packages"] == [m["package"] for m in missing]
    assert "`homolog materials fetch fhir` installs them" in caveat["text"]
    assert "ANS terminologies" in caveat["weakens"]


def test_no_caveat_when_every_dependency_package_is_found(
    clean_sut: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # FR Core's dependencies as packages of their own (empty: only their presence counts here).
    folder = tmp_path / "deps"
    for name, version in (
        ("ans.fr.terminologies", "1.7.0"),
        ("hl7.fhir.uv.extensions.r4", "5.2.0"),
        ("hl7.terminology.r4", "7.1.0"),
    ):
        package = folder / f"{name}#{version}" / "package"
        package.mkdir(parents=True)
        manifest = {"name": name, "version": version, "fhirVersions": ["4.0.1"], "dependencies": {}}
        (package / "package.json").write_text(json.dumps(manifest), encoding="utf-8")
    target = _target_with(clean_sut, tmp_path)
    monkeypatch.setenv("HOMOLOG_FHIR_PACKAGES", str(folder))
    monkeypatch.setenv("HOME", str(tmp_path))
    res = run_check("fhir.profiles.resources_conform", target, tmp_path=tmp_path, params={"search": False})
    assert res.verdict == "passed", res.message
    assert res.caveats == []


def test_missing_package_is_an_error_not_a_pass(
    clean_sut: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "empty").mkdir()
    target = _target_with(clean_sut, tmp_path, packages=[str(tmp_path / "empty")], requires=["hl7.fhir.fr.core#9.9.9"])
    monkeypatch.setenv("HOMOLOG_FHIR_PACKAGES", str(tmp_path / "empty"))
    monkeypatch.setenv("HOME", str(tmp_path))
    res = run_check("fhir.profiles.resources_conform", target, tmp_path=tmp_path)
    assert res.verdict == "error"
    assert "hl7.fhir.fr.core#9.9.9 not found" in res.message
    assert "a run never downloads packages" in res.message and "`homolog materials fetch fhir`" in res.message


def test_profile_failure_message_names_the_missing_packages(refsut: Any, tmp_path: Path) -> None:
    sut = refsut(defects={"patient-profile-broken"})
    res = _run(sut.target_path, tmp_path, "fhir.profiles.resources_conform", search=False)
    assert res.verdict == "failed"
    assert "validation weakened, packages not found: ans.fr.terminologies#1.7.0" in res.message
    assert [c["kind"] for c in res.caveats] == ["missing-fhir-packages"]  # a failure keeps its caveat too


@pytest.mark.parametrize(
    ("body", "judged"),
    [(b"{not json", "not JSON"), (b'{"resourceType": "Bundle"}', "expected Patient")],
)
def test_a_needed_resource_that_is_not_one_leaves_the_check_undecided(body: bytes, judged: str) -> None:
    import httpx

    from homolog.errors import CheckError, CheckFailed
    from homolog.http import Response
    from homolog.suites.fhir.api import needed_body, resource_body

    resp = Response("GET", "https://sut/fhir/Patient/p1", 200, httpx.Headers(), body, 0.0)
    # judged for itself, the answer is the SUT's fault; as a datum of another check, it decides nothing
    with pytest.raises(CheckFailed, match=judged):
        resource_body(resp, "Patient")
    with pytest.raises(CheckError, match=f"{judged}.*cannot decide"):
        needed_body(resp, "Patient")
    good = Response("GET", "https://sut/fhir/Patient/p1", 200, httpx.Headers(), b'{"resourceType": "Patient"}', 0.0)
    assert needed_body(good, "Patient") == {"resourceType": "Patient"}
