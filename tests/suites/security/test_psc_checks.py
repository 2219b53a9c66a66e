"""Pro Santé Connect checks: Chromium drives the reference SUT's login through the simulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from homolog.counterparts.psc import PscSimulator, declare_simulator
from homolog.testing import run_check, run_referential

from .helpers import PSC_CHECKS

pytestmark = pytest.mark.browser

CLIENT_ID, CLIENT_SECRET = "homolog-refsut", "psc-test-secret-0001"

TOKEN_MODES = {"wrong-aud", "expired", "bad-signature", "wrong-nonce"}


def _key(check: str, params: dict[str, Any]) -> str:
    return f"{check}[{params['mode']}]" if "mode" in params else check


EXPECTED_FAILURES = {
    "clean": set(),
    "psc-no-acr": {"security.psc.acr_eidas1"},
    "psc-no-pkce": {"security.psc.pkce_s256"},
    "psc-accepts-bad-token": {f"security.psc.rejects_invalid_token[{m}]" for m in TOKEN_MODES},
}


@pytest.fixture
def psc() -> Iterator[PscSimulator]:
    with PscSimulator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as sim:
        yield sim


SUBSETS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "clean": PSC_CHECKS,
    # Each defect is run with the checks that share its logins (browser logins cost
    # seconds on a loaded machine): the request checks share one login, so failing one
    # of them and passing the others shows the defect is confined to its property.
    "psc-no-acr": [PSC_CHECKS[0], PSC_CHECKS[1], PSC_CHECKS[3]],
    "psc-no-pkce": [PSC_CHECKS[0], PSC_CHECKS[1], PSC_CHECKS[3]],
    "psc-accepts-bad-token": PSC_CHECKS[5:9],
}


def psc_referential(folder: Path, checks: list[tuple[str, dict[str, Any]]]) -> Path:
    ref = {
        "format": "homolog.referential/1",
        "id": "psc-matrix",
        "version": "0.0.0",
        "title": "PSC checks, one requirement each",
        "publisher": "homolog tests",
        "date": "2026-11-22",
        "requirements": [
            {
                "id": f"PSC-{i:02d}",
                "title": _key(c, p),
                "text": _key(c, p),
                "level": "exigence",
                "source": {"document": "homolog tests"},
                "checks": [{"check": c, "with": p}],
            }
            for i, (c, p) in enumerate(checks)
        ],
    }
    path = folder / "psc-matrix.yaml"
    path.write_text(yaml.safe_dump(ref, sort_keys=False), encoding="utf-8")
    return path


def _start(refsut: Callable[..., Any], psc: PscSimulator, defects: set[str]) -> Any:
    sut = refsut(defects, oidc_issuer=psc.issuer, oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET)
    declare_simulator(sut.target_path, psc)
    return sut


@pytest.mark.parametrize("defect", sorted(EXPECTED_FAILURES))
def test_psc_defects_fail_only_their_checks(
    defect: str, refsut: Callable[..., Any], psc: PscSimulator, tmp_path: Path
) -> None:
    sut = _start(refsut, psc, set() if defect == "clean" else {defect})
    ref = psc_referential(tmp_path, SUBSETS[defect])
    run = run_referential(ref, sut.target_path, tmp_path / "run")
    verdicts = {}
    for req in run["requirements"]:
        c = req["checks"][0]
        verdicts[_key(c["check"], c.get("params") or {})] = (c["verdict"], c.get("message"))
    assert len(verdicts) == len(SUBSETS[defect])
    failed = {k for k, (v, _) in verdicts.items() if v == "failed"}
    undecided = {k: v for k, v in verdicts.items() if v[0] not in ("passed", "failed")}
    assert not undecided, undecided
    assert failed == EXPECTED_FAILURES[defect], {k: verdicts[k] for k in failed}


def test_missing_simulator_declaration_is_an_error(refsut: Callable[..., Any], tmp_path: Path) -> None:
    sut = refsut()
    res = run_check("security.psc.acr_eidas1", sut.target_path, tmp_path=tmp_path)
    assert res.verdict == "error" and "control_url" in (res.message or "")


def test_simulator_issuer_mismatch_is_an_error(refsut: Callable[..., Any], psc: PscSimulator, tmp_path: Path) -> None:
    with PscSimulator() as other:
        sut = refsut(oidc_issuer=other.issuer, oidc_client_id=CLIENT_ID)
        declare_simulator(sut.target_path, psc)
        doc = yaml.safe_load(sut.target_path.read_text("utf-8"))
        doc["settings"]["security"]["psc"]["issuer"] = other.issuer
        sut.target_path.write_text(yaml.safe_dump(doc), encoding="utf-8")
        res = run_check("security.psc.acr_eidas1", sut.target_path, tmp_path=tmp_path)
    assert res.verdict == "error" and "must match" in (res.message or "")
