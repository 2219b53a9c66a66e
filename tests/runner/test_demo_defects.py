"""Each defect switch of the reference SUT fails exactly the demo requirements that cover it.

The clean demo is run once; every defect then runs the whole demo referential again:
the requirements listed for it must fail, and every other requirement must keep the
verdict it had on the clean SUT.

Same system, same verdict: the clean demo and each defect reproducing what real systems
showed are run three times, and every case must give the same verdict and message (the
SUT's free ports aside, named in messages).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

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
    "heading-skip": {"RGAA-9.1"},
    # served in clear: every TLS requirement of the web site, HSTS and the redirect to
    # HTTPS, and the session cookie that cannot be Secure
    "http-only": {"MES-SEC-01", "MES-SEC-02", "MES-SEC-06", "MES-SEC-13", "MES-SEC-14", "MSS/CONF.01", "MSS/CONF.03"},
    "img-without-alt": {"RGAA-1.1"},
    "ins-exposed-unqualified": {"INS/va1.53"},
    "ins-key-unchecked": {"INS-RNIV-01", "INS-RNIV-06"},
    "late-render": {"RGAA-11.1"},
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
    "no-operation-outcome": {"FRCORE-API-11", "FRCORE-API-12", "INS-RNIV-01"},
    "no-session-timeout": {"SSI/IE.39", "MES-SEC-04"},
    "patient-profile-broken": {"FRCORE-API-10", "INS-RNIV-02"},
    "psc-accepts-bad-token": {"HL-PSC-03"},
    "psc-no-acr": {"PSC.08"},
    "psc-no-pkce": {"HL-PSC-01"},
    "reset-after-500": {"FRCORE-API-13"},
    "search-ignores-params": {"FRCORE-API-08", "INS-RNIV-05"},
    "stacktrace-leak": {"MES-SEC-07"},
    "status-not-historised": {"INS-RNIV-04"},
    "strict-traits-writable": {"INS-RNIV-03"},
    "tls10-enabled": {"MSS/CONF.01", "MSS/CONF.03", "MES-SEC-01"},  # OpenSSL opens weak TLS 1.2 suites too
    "weak-password-policy": {"SSI/IAM.92", "MES-SEC-17"},
    # the searchset's links and fullUrls, and the next link paging would follow
    "wrong-base-url": {"FRCORE-API-07", "FRCORE-API-09"},
}


# verdict changes a defect causes besides failures, each for a stated reason
SIDE_EFFECTS: dict[str, dict[str, str]] = {
    # with no lang attribute at all, "is the language code valid" has nothing to test
    "missing-lang": {"RGAA-8.4": "skipped"},
}


# defects that reproduce what real systems showed (issue 15): each must also give the
# same verdicts and messages on identical runs
REAL_SYSTEM_DEFECTS = ("heading-skip", "http-only", "late-render", "reset-after-500", "wrong-base-url")


def _demo_run(defects: set[str], out: Path) -> dict[str, Any]:
    with started_demo_sut(defects, out.parent / f"{out.name}-sut") as demo, environment(demo.env):
        doc = run_referential(DEFAULT_REFERENTIAL, demo.target_path, out, counterparts=demo.counterparts)
        doc["_addresses"] = _addresses(demo)
        return doc


def _addresses(demo: Any) -> dict[str, str]:
    """host:port -> <base name>, for the SUT and every counterpart of one demo run.

    Each run's SUT and simulators listen on free ports of their own: the one thing two
    identical runs may say differently, so addresses are named, not numbered.
    """
    urls: dict[str, str] = dict(yaml.safe_load(demo.target_path.read_text("utf-8"))["base_urls"])
    for name, counterpart in demo.counterparts.items():
        urls[name] = counterpart.url
        urls.update(counterpart.target_additions().base_urls)
    return {urlsplit(url).netloc: f"<{name}>" for name, url in sorted(urls.items())}


def _verdicts(doc: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["verdict"] for r in doc["requirements"]}


def _cases(doc: dict[str, Any]) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(requirement, check, parameters) -> (verdict, message), addresses named."""
    addresses: dict[str, str] = doc.get("_addresses", {})
    pattern = re.compile("|".join(re.escape(a) for a in addresses)) if addresses else None

    def plain(text: str | None) -> str:
        text = text or ""
        return pattern.sub(lambda m: addresses[m.group(0)], text) if pattern else text

    out = {}
    for req in doc["requirements"]:
        out[(req["id"], "", "")] = (req["verdict"], plain(req.get("reason")))
        for chk in req.get("checks") or []:
            key = (req["id"], chk["check"], json.dumps(chk.get("params"), sort_keys=True))
            out[key] = (chk["verdict"], plain(chk.get("message")))
    return out


@pytest.fixture(scope="module")
def clean_doc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    yield _demo_run(set(), tmp_path_factory.mktemp("clean") / "run")


@pytest.fixture(scope="module")
def clean(clean_doc: dict[str, Any]) -> Iterator[dict[str, str]]:
    yield _verdicts(clean_doc)


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


def _differences(runs: list[dict[str, Any]]) -> dict[Any, list[tuple[str, str]]]:
    cases = [_cases(doc) for doc in runs]
    keys = set().union(*cases)
    return {k: [c.get(k, ("absent", "")) for c in cases] for k in sorted(keys) if len({c.get(k) for c in cases}) > 1}


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_clean_demo_gives_the_same_verdicts_and_messages_three_times(clean_doc: dict[str, Any], tmp_path: Path) -> None:
    runs = [clean_doc, *(_demo_run(set(), tmp_path / f"run{i}") for i in (2, 3))]
    assert not _differences(runs)
    assert len(_cases(clean_doc)) > 150  # every case of every requirement was compared


@pytest.mark.slow
@pytest.mark.timeout(2400)
@pytest.mark.parametrize("defect", REAL_SYSTEM_DEFECTS)
def test_real_system_defect_gives_the_same_verdicts_and_messages_three_times(defect: str, tmp_path: Path) -> None:
    runs = [_demo_run({defect}, tmp_path / f"run{i}") for i in (1, 2, 3)]
    assert not _differences(runs)
    for doc in runs:
        assert {rid for rid, v in _verdicts(doc).items() if v == "failed"} == COVERS[defect]
