"""The MSSanté sending checks against the reference DPI and the simulator: clean, then each defect."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from homolog.testing import run_referential

MSS = Path(__file__).resolve().parents[3] / "referentials" / "mss" / "mss-1.1.0.yaml"
SENDING = {
    "MSS/CONF.05",
    "MSS/CONF.14",
    "MSS/CONF.15",
    "MSS/CONF.16",
    "MSS-ENV-01",
    "MSS-ENV-02",
    "MSS-ENV-03",
    "MSS-ENV-04",
    "MSS-ENV-05",
}
# defect -> the sending requirements it must fail (from what each requirement verifies)
EXPECTED = {
    "mss-plain-smtp": {"MSS/CONF.05", "MSS-ENV-05"},  # in clear: no TLS, so no certificate either
    "mss-no-client-cert": {"MSS-ENV-05"},
    "mss-xdm-no-metadata": {"MSS-ENV-01", "MSS-ENV-03"},  # no METADATA.XML: no INS in the metadata
    "mss-recipient-not-mssante": {"MSS-ENV-04"},
    "mss-no-x-mss-headers": {"MSS/CONF.14", "MSS/CONF.15", "MSS/CONF.16"},
    "cda-invalid": {"MSS-ENV-02"},
    # INS under INS-C: the metadata's INS is not the document's, and X-MSS-INS: O is untrue
    "cda-wrong-ins-oid": {"MSS-ENV-03", "MSS/CONF.14"},
}


def _verdicts(mss_sut: Callable[..., Any], defects: set[str], out: Path) -> dict[str, tuple[str, str]]:
    _sim, sut = mss_sut(defects)
    doc = run_referential(MSS, sut.target_path, out, extra_args=["-k", "not MSS/CONF.01 and not MSS/CONF.03"])
    return {
        r["id"]: (r["verdict"], " ".join(str(c.get("message") or "") for c in r.get("checks", [])))
        for r in doc["requirements"]
        if r["id"] in SENDING
    }


@pytest.mark.timeout(300)
def test_the_clean_reference_dpi_passes_every_sending_requirement(mss_sut: Any, tmp_path: Path) -> None:
    got = _verdicts(mss_sut, set(), tmp_path / "run")
    assert set(got) == SENDING
    assert {rid: v for rid, (v, _) in got.items() if v != "passed"} == {}


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("defect", sorted(EXPECTED))
def test_each_defect_fails_exactly_its_requirements(mss_sut: Any, tmp_path: Path, defect: str) -> None:
    got = _verdicts(mss_sut, {defect}, tmp_path / "run")
    assert {rid for rid, (v, _) in got.items() if v == "failed"} == EXPECTED[defect]
    assert {rid for rid, (v, _) in got.items() if v not in ("failed", "passed")} == set()
    for rid in EXPECTED[defect]:
        assert got[rid][1], f"{rid} failed without a reason"
