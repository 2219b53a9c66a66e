"""Each defect switch of the reference SUT fails exactly the demo requirements that cover it.

The clean demo is run once; every defect then runs the whole demo referential again:
the requirements listed for it must fail, and every other requirement must keep the
verdict it had on the clean SUT.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from homolog.demo import DEFAULT_REFERENTIAL, environment, started_demo_sut
from homolog.testing import run_referential

# defect -> the demo requirements it must make fail (written from what each requirement
# verifies, not read back from a run)
COVERS: dict[str, set[str]] = {
    "banner-missing-traits": {"INS-RNIV-07"},
    "cda-invalid": {"CISIS-DOC-01", "MSS-ENV-02"},  # the letter sent through MSSanté is that CDA
    # the XDM metadata's INS is not the CDA's, and X-MSS-INS: O announces a qualified INS it lacks
    "cda-wrong-ins-oid": {"CISIS-DOC-02", "MSS-ENV-03", "MSS/CONF.14"},
    "cookie-flags-missing": {"MES-SEC-06"},
    "cors-wildcard-credentials": {"MES-SEC-15"},
    "img-without-alt": {"RGAA-1.1"},
    "ins-exposed-unqualified": {"INS/va1.53"},
    "ins-key-unchecked": {"INS-RNIV-01", "INS-RNIV-06"},
    "low-contrast": {"RGAA-3.2"},
    "missing-lang": {"RGAA-8.3"},
    "mss-no-client-cert": {"MSS-ENV-05"},
    "mss-no-x-mss-headers": {"MSS/CONF.14", "MSS/CONF.15", "MSS/CONF.16"},
    "mss-plain-smtp": {"MSS/CONF.05", "MSS-ENV-05"},  # in clear there is no certificate either
    "mss-recipient-not-mssante": {"MSS-ENV-04"},
    "mss-xdm-no-metadata": {"MSS-ENV-01", "MSS-ENV-03"},  # no METADATA.XML, so no INS in it
    "no-hsts": {"MES-SEC-02"},
    "no-https-redirect": {"MES-SEC-02"},
    "no-lockout": {"SSI/IAM.92", "MES-SEC-03"},
    "no-login-audit": {"SSI/IAM.91", "MES-SEC-08"},
    "no-operation-outcome": {"FRCORE-API-11", "FRCORE-API-12", "FRCORE-API-20", "INS-RNIV-01"},
    "no-session-timeout": {"SSI/IE.39", "MES-SEC-04"},
    "patient-profile-broken": {"FRCORE-API-10", "INS-RNIV-02"},
    "psc-accepts-bad-token": {"HL-PSC-03"},
    "psc-no-acr": {"PSC.08"},
    "psc-no-pkce": {"HL-PSC-01"},
    "search-ignores-params": {"FRCORE-API-08", "INS-RNIV-05"},
    "stacktrace-leak": {"MES-SEC-07"},
    "status-not-historised": {"INS-RNIV-04"},
    "strict-traits-writable": {"INS-RNIV-03"},
    "tls10-enabled": {"MSS/CONF.01", "MSS/CONF.03", "MES-SEC-01"},  # OpenSSL opens weak TLS 1.2 suites too
    "weak-password-policy": {"SSI/IAM.92", "MES-SEC-17"},
    # FHIR RESTful behaviour (fr-core-api 1.1.0)
    "fhir-create-200-no-location": {"FRCORE-API-14"},
    "fhir-update-201": {"FRCORE-API-15"},
    "fhir-if-match-ignored": {"FRCORE-API-16"},
    "fhir-delete-not-gone": {"FRCORE-API-17"},
    "fhir-conditional-ignored": {"FRCORE-API-18", "FRCORE-API-19"},
    "fhir-unknown-type-500": {"FRCORE-API-20", "HTTP-02"},  # the FHIR base's unknown paths are not 404
    "fhir-format-ignored": {"FRCORE-API-21"},
    "fhir-prefer-ignored": {"FRCORE-API-22"},
    # HTTP conformance on every base (http-conformite 1.0.0)
    "duplicate-date-header": {"HTTP-01"},
    "missing-static-405": {"HTTP-02"},
    "no-head-options": {"HTTP-03", "HTTP-04"},
    "powered-by-banner": {"MES-SEC-07", "MES-SEC-18", "HTTP-05"},  # a version in X-Powered-By leaks too
    # endpoint inventory (mes-securite 1.1.0)
    "internal-api-open": {"MES-SEC-12"},
    # imaging over DICOMweb (imagerie 1.0.0)
    "dicomweb-no-percent-decoding": {"IMG-DW-01"},
    "dicomweb-qido-ignores-key": {"IMG-DW-02"},
    "dicomweb-qido-ignores-options": {"IMG-DW-03", "IMG-DW-04"},
    "dicomweb-wrong-media-type": {"IMG-DW-05", "IMG-DW-06"},
    "dicomweb-wado-single-part": {"IMG-DW-07"},
    "dicomweb-stow-unindexed": {"IMG-DW-08"},
    "dicomweb-lax-errors": {"IMG-DW-09"},
}


# verdict changes a defect causes besides failures, each for a stated reason
SIDE_EFFECTS: dict[str, dict[str, str]] = {
    # with no lang attribute at all, "is the language code valid" has nothing to test
    "missing-lang": {"RGAA-8.4": "skipped"},
}


def _demo_run(defects: set[str], out: Path) -> dict[str, Any]:
    with started_demo_sut(defects, out.parent / f"{out.name}-sut") as demo, environment(demo.env):
        return run_referential(DEFAULT_REFERENTIAL, demo.target_path, out, counterparts=demo.counterparts)


def _verdicts(doc: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["verdict"] for r in doc["requirements"]}


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    doc = _demo_run(set(), tmp_path_factory.mktemp("clean") / "run")
    yield _verdicts(doc)


def test_every_defect_is_covered() -> None:
    from homolog.fixtures.refsut import DEFECTS

    assert set(COVERS) == set(DEFECTS)


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_clean_demo_passes_every_automated_requirement(clean: dict[str, str]) -> None:
    bad = {rid: v for rid, v in clean.items() if v in ("failed", "error")}
    assert not bad
    for covered in COVERS.values():
        for rid in covered:
            assert clean[rid] == "passed", rid


@pytest.mark.slow
@pytest.mark.timeout(1200)  # a whole demo run, plus the clean one for the first test
@pytest.mark.parametrize("defect", sorted(COVERS))
def test_defect_fails_its_requirements_and_only_those(defect: str, clean: dict[str, str], tmp_path: Path) -> None:
    got = _verdicts(_demo_run({defect}, tmp_path / "run"))
    failed = {rid for rid, v in got.items() if v == "failed"}
    assert failed == COVERS[defect]
    expected = {rid: clean[rid] for rid in got if rid not in COVERS[defect]} | SIDE_EFFECTS.get(defect, {})
    changed = {rid: (expected[rid], v) for rid, v in got.items() if rid not in COVERS[defect] and v != expected[rid]}
    assert not changed, f"other requirements changed verdict (expected, got): {changed}"
