"""mes-securite 1.2.0 on the reference-system variants (issue 16.6): the verdicts a user of
such a system would expect, and no `error` for a key the target cannot supply.

- web only (no FHIR API): the web requirements are judged as on the full system (MES-SEC-07
  and -15 used to end in `error: no base URL 'fhir'`); the login audit, read through FHIR
  AuditEvents, is not verified and says why.
- HTTP Basic on every page, no login page: logged-in pages are audited with Basic
  credentials; no session exists that inactivity could end (MES-SEC-04 fails) and no
  session cookie to protect (MES-SEC-06 does not apply).
- Pro Santé Connect only (oidc through the simulator): logged in through the provider; the
  system holds no password, so password guessing and length (MES-SEC-03, -17) do not apply,
  and the login audit, which makes its own password logins, is not verified.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from homolog.counterparts.psc import PscSimulator, declare_simulator
from homolog.testing import run_referential

REFERENTIAL = Path(__file__).resolve().parents[3] / "referentials" / "mes-securite" / "mes-securite-1.2.0.yaml"
MANUAL = dict.fromkeys(("MES-SEC-09", "MES-SEC-10", "MES-SEC-11"), "manual")


def _run(sut: Any, out: Path) -> dict[str, dict[str, Any]]:
    doc = run_referential(REFERENTIAL, sut.target_path, out)
    reqs = {r["id"]: r for r in doc["requirements"]}
    errors = {k: [c["message"] for c in r["checks"]] for k, r in reqs.items() if r["verdict"] == "error"}
    assert not errors, errors
    return reqs


def _verdicts(reqs: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {k: r["verdict"] for k, r in reqs.items()}


def _passed_but(reqs: dict[str, dict[str, Any]], others: dict[str, str]) -> dict[str, str]:
    return {k: others.get(k, MANUAL.get(k, "passed")) for k in reqs}


def test_web_only_system(refsut: Callable[..., Any], tmp_path: Path) -> None:
    reqs = _run(refsut(fhir=False), tmp_path / "run")
    assert _verdicts(reqs) == _passed_but(reqs, {"MES-SEC-08": "skipped"})
    assert "declares no base URL 'fhir'" in reqs["MES-SEC-08"]["reason"]


def test_basic_auth_web_ui(refsut: Callable[..., Any], tmp_path: Path) -> None:
    reqs = _run(refsut(web_login="basic"), tmp_path / "run")
    assert _verdicts(reqs) == _passed_but(reqs, {"MES-SEC-04": "failed", "MES-SEC-06": "not_applicable"})
    assert "HTTP Basic" in reqs["MES-SEC-04"]["checks"][0]["message"]


@pytest.mark.browser
def test_psc_only_login(refsut: Callable[..., Any], tmp_path: Path) -> None:
    with PscSimulator(client_id="homolog-refsut", client_secret="psc-variant-secret") as psc:
        sut = refsut(
            oidc_issuer=psc.issuer,
            oidc_client_id="homolog-refsut",
            oidc_client_secret="psc-variant-secret",
            web_login="oidc",
        )
        declare_simulator(sut.target_path, psc)
        reqs = _run(sut, tmp_path / "run")
    expected = {"MES-SEC-03": "not_applicable", "MES-SEC-17": "not_applicable", "MES-SEC-08": "skipped"}
    assert _verdicts(reqs) == _passed_but(reqs, expected)
    assert "auth.web is of type oidc" in reqs["MES-SEC-03"]["reason"]
