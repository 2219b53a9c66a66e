"""Identity checks over the reference SUT's FHIR API: pass when clean, fail with their defect."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from homolog.testing import run_check

# (check id, params, defect that must make it fail)
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("identity.patient.qualified_shape", {}, "patient-profile-broken"),
    ("identity.ins.wrong_key_refused", {"variant": "wrong_key"}, "ins-key-unchecked"),
    ("identity.ins.wrong_key_refused", {"variant": "corsica"}, "ins-key-unchecked"),
    ("identity.ins.not_exposed_unqualified", {}, "ins-exposed-unqualified"),
    ("identity.traits.strict_readonly", {"trait": "birth_name"}, "strict-traits-writable"),
    ("identity.traits.strict_readonly", {"trait": "birth_date"}, "strict-traits-writable"),
    ("identity.status.historised", {}, "status-not-historised"),
    ("identity.ins.search_exact", {}, "search-ignores-params"),
]
# The other strict traits only need to pass on the clean SUT (same code path as above).
CLEAN_ONLY: list[tuple[str, dict[str, Any]]] = [
    ("identity.traits.strict_readonly", {"trait": "birth_given_names"}),
    ("identity.traits.strict_readonly", {"trait": "sex"}),
    ("identity.traits.strict_readonly", {"trait": "birthplace"}),
    ("identity.national_ids.valid", {}),
]


def _ident(case: tuple[Any, ...]) -> str:
    return f"{case[0]}{''.join(f'-{v}' for v in case[1].values())}"


@pytest.mark.parametrize(
    ("check_id", "params"),
    [(c[0], c[1]) for c in CASES] + CLEAN_ONLY,
    ids=[_ident(c) for c in CASES] + [_ident(c) for c in CLEAN_ONLY],
)
def test_passes_on_clean_sut(clean_sut: Any, tmp_path: Path, check_id: str, params: dict[str, Any]) -> None:
    res = run_check(check_id, clean_sut.target_path, tmp_path=tmp_path, params=params)
    assert res.verdict == "passed", res.message


@pytest.mark.parametrize(("check_id", "params", "defect"), CASES, ids=[f"{_ident(c)}-{c[2]}" for c in CASES])
def test_fails_with_its_defect(
    refsut: Callable[..., Any], tmp_path: Path, check_id: str, params: dict[str, Any], defect: str
) -> None:
    sut = refsut(defects={defect})
    res = run_check(check_id, sut.target_path, tmp_path=tmp_path, params=params)
    assert res.verdict == "failed", res.message
    assert res.message


def test_wrong_key_failure_names_the_ins(refsut: Callable[..., Any], tmp_path: Path) -> None:
    sut = refsut(defects={"ins-key-unchecked"})
    res = run_check("identity.ins.wrong_key_refused", sut.target_path, tmp_path=tmp_path)
    assert res.verdict == "failed"
    assert "accepted INS" in (res.message or "")


def test_no_operation_outcome_fails_the_refusal_check(refsut: Callable[..., Any], tmp_path: Path) -> None:
    sut = refsut(defects={"no-operation-outcome"})
    res = run_check("identity.ins.wrong_key_refused", sut.target_path, tmp_path=tmp_path)
    assert res.verdict == "failed"
    assert "OperationOutcome" in (res.message or "")


def test_misdeclared_target_data_is_an_error_not_a_pass(clean_sut: Any, tmp_path: Path) -> None:
    """patient_unqualified pointing at the qualified patient: the check cannot decide."""
    text = clean_sut.target_path.read_text(encoding="utf-8")
    bad = tmp_path / "target.yaml"
    import yaml

    doc = yaml.safe_load(text)
    doc["data"]["patient_unqualified"] = doc["data"]["patient_qualified"]
    ca = doc.get("tls", {}).get("ca_file")
    if ca and not Path(ca).is_absolute():
        doc["tls"]["ca_file"] = str(clean_sut.target_path.parent / ca)
    bad.write_text(yaml.safe_dump(doc), encoding="utf-8")
    res = run_check("identity.ins.not_exposed_unqualified", bad, tmp_path=tmp_path)
    assert res.verdict == "error"
    assert "qualified" in (res.message or "")


def _with_history(sut: Any, tmp_path: Path, history: str) -> Path:
    import yaml

    doc = yaml.safe_load(sut.target_path.read_text(encoding="utf-8"))
    doc["settings"]["identity"]["history"] = history
    ca = doc.get("tls", {}).get("ca_file")
    if ca and not Path(ca).is_absolute():
        doc["tls"]["ca_file"] = str(sut.target_path.parent / ca)
    path = tmp_path / f"target-{history}.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def test_status_history_in_auditevents(refsut: Callable[..., Any], tmp_path: Path) -> None:
    clean = _with_history(refsut(), tmp_path, "auditevent")
    assert run_check("identity.status.historised", clean, tmp_path=tmp_path).verdict == "passed"
    broken = tmp_path / "broken"
    broken.mkdir()
    target = _with_history(refsut(defects={"status-not-historised"}), broken, "auditevent")
    res = run_check("identity.status.historised", target, tmp_path=broken)
    assert res.verdict == "failed"
    assert "auditevent" in (res.message or "")


def test_status_history_where_the_sut_has_none_is_an_error(clean_sut: Any, tmp_path: Path) -> None:
    """The reference SUT serves no Provenance: the check cannot decide, it does not pass."""
    target = _with_history(clean_sut, tmp_path, "provenance")
    res = run_check("identity.status.historised", target, tmp_path=tmp_path)
    assert res.verdict == "error", res.message
