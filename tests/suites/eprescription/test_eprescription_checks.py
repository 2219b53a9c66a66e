"""The e-prescription checks against the reference system wired to the e-prescription simulator:
every check passes on the clean system; each defect fails exactly the checks that verify what it
breaks, with the reason in the message; without the simulator the checks cannot decide."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from homolog.counterparts import declare
from homolog.counterparts.eprescription import EprescriptionSimulator

CHECKS = [
    "eprescription.registration.required_data",
    "eprescription.registration.refusal_surfaced",
    "eprescription.printout.identifier",
    "eprescription.printout.mentions",
]
TEST_OIDS = ("1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.10")

# defect -> {check: words its failure message must hold}; every other check must pass
EXPECTED: dict[str, dict[str, str]] = {
    # no registration, so the number printed was never registered, and an ordered refusal is
    # never met: the system prints regardless
    "erx-not-registered": {
        "eprescription.registration.required_data": "no registration reached",
        "eprescription.printout.identifier": "the service registered no prescription",
        "eprescription.registration.refusal_surfaced": "without registering it",
    },
    "erx-qr-other-prescription": {"eprescription.printout.identifier": "the number the service registered is"},
    # the service refuses the registration; the system rightly prints nothing, so there is no printout
    "erx-prescriber-id-missing": {
        "eprescription.registration.required_data": "prescriber.idNatPS is missing",
        "eprescription.printout.identifier": "the system printed no prescription",
        "eprescription.printout.mentions": "the system printed no prescription",
    },
}


@pytest.fixture(scope="module")
def erx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EprescriptionSimulator]:
    with EprescriptionSimulator(accepted_ins_oids=TEST_OIDS, workdir=tmp_path_factory.mktemp("erx")) as sim:
        yield sim


@pytest.fixture
def wired(refsut: Callable[..., Any], erx: EprescriptionSimulator) -> Callable[..., Any]:
    """Factory: a reference system registering with the simulator, its target declaring it."""

    def start(defects: frozenset[str] = frozenset()) -> Any:
        sut = refsut(defects=defects, erx_url=erx.url, erx_ca=erx.ca_file)
        declare(sut.target_path, "eprescription", erx)
        return sut

    return start


def test_every_check_passes_on_the_clean_system(wired: Callable[..., Any], run_checks: Any) -> None:
    results = run_checks(CHECKS, wired().target_path)
    bad = {c: (r["verdict"], r.get("message")) for c, r in results.items() if r["verdict"] != "passed"}
    assert not bad


@pytest.mark.parametrize("defect", sorted(EXPECTED))
def test_each_defect_fails_its_checks_only(wired: Callable[..., Any], run_checks: Any, defect: str) -> None:
    results = run_checks(CHECKS, wired(frozenset({defect})).target_path)
    for check_id, result in results.items():
        if check_id in EXPECTED[defect]:
            assert result["verdict"] == "failed", (check_id, result.get("message"))
            assert EXPECTED[defect][check_id] in (result.get("message") or ""), (check_id, result.get("message"))
        else:
            assert result["verdict"] == "passed", (check_id, result.get("message"))


def test_without_the_simulator_the_checks_cannot_decide(refsut: Callable[..., Any], run_checks: Any) -> None:
    results = run_checks(CHECKS, refsut().target_path)
    for check_id, result in results.items():
        assert result["verdict"] == "error", check_id
        assert "no counterpart 'eprescription'" in (result.get("message") or ""), result.get("message")


def test_the_printout_and_the_exchange_are_kept_as_evidence(wired: Callable[..., Any], tmp_path: Path) -> None:
    from homolog.testing import run_check

    res = run_check("eprescription.printout.identifier", wired().target_path, tmp_path=tmp_path)
    assert res.verdict == "passed", res.message
    names = [p.name for p in res.evidence]
    assert any(n.endswith("eprescription.pdf") for n in names), names
    pdf = next(p for p in res.evidence if p.name.endswith("eprescription.pdf")).read_bytes()
    assert pdf.startswith(b"%PDF-")


def test_a_printout_without_the_ins_fails_the_mentions(
    wired: Callable[..., Any], run_checks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from homolog.fixtures.refsut import eprescription as refsut_erx

    original = refsut_erx.render_prescription

    def without_ins(prescription: dict[str, Any], qr_payload: str) -> bytes:
        shown = copy.deepcopy(prescription)
        shown["registration"]["patient"]["ins"] = ""
        return original(shown, qr_payload)

    monkeypatch.setattr(refsut_erx, "render_prescription", without_ins)
    results = run_checks(["eprescription.printout.mentions", "eprescription.printout.identifier"], wired().target_path)
    mentions = results["eprescription.printout.mentions"]
    assert mentions["verdict"] == "failed" and "the patient's INS" in mentions["message"], mentions
    assert results["eprescription.printout.identifier"]["verdict"] == "passed"


@pytest.mark.parametrize(
    ("printout", "verdict", "words"),
    [
        (b"<html>Ordonnance</html>", "failed", "is not a PDF"),
        (b"%PDF-1.7\n garbage that no reader opens", "failed", "not a PDF that can be rendered"),
    ],
    ids=["html-instead-of-pdf", "corrupt-pdf"],
)
def test_a_printout_that_is_no_readable_pdf_fails(
    wired: Callable[..., Any],
    run_checks: Any,
    monkeypatch: pytest.MonkeyPatch,
    printout: bytes,
    verdict: str,
    words: str,
) -> None:
    from homolog.fixtures.refsut import eprescription as refsut_erx

    monkeypatch.setattr(refsut_erx, "render_prescription", lambda prescription, qr_payload: printout)
    result = run_checks(["eprescription.printout.identifier"], wired().target_path)["eprescription.printout.identifier"]
    assert result["verdict"] == verdict and words in (result.get("message") or ""), result
