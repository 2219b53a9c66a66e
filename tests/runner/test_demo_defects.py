"""Each defect switch of the reference SUT fails exactly the demo requirements that cover it.

The clean demo is run once; every defect then runs the whole demo referential again (a
defect of a feature only a programme referential verifies runs that referential instead,
against its clean run: `PROGRAMME_COVERS`):
the requirements listed for it must fail, and every other requirement must keep the
verdict it had on the clean SUT.

The runs go to a pool (``demo_pool.DemoPool``): each against a demo system started for it,
several at once. Alone, a run keeps about one core busy (`bench/demo_cpu.py --defects no-hsts`:
25-27 CPU-s over 33 s on the 2-core machine of 3 December 2026, half of it Chromium - its 19
renderers 7.3, the browser process 4.3 -, a tenth the Playwright driver; the rest of a run's time
is session-timeout and "nothing was sent" waits and page settling), so five at once keep two
cores busy; a session that times out inside a check under
that load is logged in again (`UiSession.in_session`).
``HOMOLOG_TEST_DEMO_SUTS`` sets how many at once (default ``POOL_SIZE``). The tests share
one pool, so they are one xdist group (``--dist loadfile``, and the group for
``--dist loadgroup``, keep them on one worker).

Same system, same verdict: the clean demo runs three times (the third in two processes, as
`homolog demo` runs it by default) and so does each defect reproducing what real systems
showed (its matrix run and two more); every case must give the same verdict and message (the
free ports of the SUT and simulators aside, named in messages).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from demo_pool import DemoPool, Run, pool_environment

from homolog import api
from homolog.demo import DEFAULT_REFERENTIAL, DEMO_WORKERS, started_demo_sut
from homolog.integrity import verify
from homolog.runfile import RunDocument, read_run
from homolog.shard import merge_shards, verify_shards

# defect -> the demo requirements it must make fail (written from what each requirement
# verifies, not read back from a run)
COVERS: dict[str, set[str]] = {
    "banner-missing-traits": {"INS-RNIV-07"},
    # The letter sent through MSSanté is that CDA; the DMP refuses a CDA the XSD refuses, and
    # a document whose INS is not the metadata's: the document is not fed (ALIM.01) and,
    # refused, can never be made visible (ALIM.04).
    "cda-invalid": {"CISIS-DOC-01", "MSS-ENV-02", "DMP/ALIM.01", "DMP/ALIM.04"},
    # the XDM metadata's INS is not the CDA's, and X-MSS-INS: O announces a qualified INS it lacks
    "cda-wrong-ins-oid": {"CISIS-DOC-02", "MSS-ENV-03", "MSS/CONF.14", "DMP/ALIM.01", "DMP/ALIM.04"},
    "cookie-flags-missing": {"MES-SEC-06"},
    "cors-wildcard-credentials": {"MES-SEC-15"},
    "dmp-cda-not-conformant": {"DMP/ALIM.01", "DMP/ALIM.04"},
    "dmp-objection-ignored": {"DMP/ALIM.03"},
    "dmp-unhide-not-sent": {"DMP/ALIM.04"},
    "dmp-unqualified-sent": {"DMP/HISTO.05"},
    "dmp-visibility-ignored": {"DMP/ALIM.04"},
    "dmp-wrong-patient-oid": {"DMP/ALIM.01", "DMP/ALIM.04"},
    "heading-skip": {"RGAA-9.1"},
    # served in clear: every TLS requirement of the web site, HSTS and the redirect to
    # HTTPS, and the session cookie that cannot be Secure
    "http-only": {"MES-SEC-01", "MES-SEC-02", "MES-SEC-06", "MES-SEC-13", "MES-SEC-14", "MSS/CONF.01", "MSS/CONF.03"},
    "img-without-alt": {"RGAA-1.1"},
    "ins-exposed-unqualified": {"INS/va1.53"},
    "ins-key-unchecked": {"INS-RNIV-01", "INS-RNIV-06"},
    "ins-stored-without-call": {"INS-RNIV-08"},
    "insi-traits-not-sent": {"INS-RNIV-08"},
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
    "no-operation-outcome": {"FRCORE-API-11", "FRCORE-API-12", "FRCORE-API-20", "INS-RNIV-01"},
    "no-session-timeout": {"SSI/IE.39", "MES-SEC-04"},
    "patient-profile-broken": {"FRCORE-API-10", "INS-RNIV-02"},
    "psc-accepts-bad-token": {"HL-PSC-03"},
    "psc-no-acr": {"PSC.08"},
    "psc-no-pkce": {"HL-PSC-01"},
    # the crash also answers the XML body of content negotiation with a reset, not 415
    "reset-after-500": {"FRCORE-API-13", "FRCORE-API-21"},
    "search-ignores-params": {"FRCORE-API-08", "INS-RNIV-05"},
    "stacktrace-leak": {"MES-SEC-07"},
    "status-not-historised": {"INS-RNIV-04"},
    "strict-traits-writable": {"INS-RNIV-03"},
    "tls10-enabled": {"MSS/CONF.01", "MSS/CONF.03", "MES-SEC-01"},  # OpenSSL opens weak TLS 1.2 suites too
    "weak-password-policy": {"SSI/IAM.92", "MES-SEC-17"},
    # the searchset's links and fullUrls, and the next link paging would follow
    "wrong-base-url": {"FRCORE-API-07", "FRCORE-API-09"},
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


# defects of features only programme referentials verify (not the demo's): referential ->
# defect -> the requirements of that referential it must make fail. Each programme runs clean
# once (every automated requirement passes) and once per defect, that referential only.
PROGRAMME_COVERS: dict[str, dict[str, set[str]]] = {
    "dmn-telesurveillance": {
        # the patient space's measurements vs the export (portability, completeness)
        "tlm-export-incomplete": {"TLSV-PORT-02"},
        # observations without their vital-signs category fail the FR Core profiles
        "tlm-export-not-frcore": {"TLSV-PORT-01"},
        # no acr_values asked (EID-01), and a login at eidas1 opens the space (EID-02)
        "tlm-patient-login-low-level": {"TLSV-EID-01", "TLSV-EID-02"},
        # the acknowledgement leaves no AuditEvent naming the alert
        "tlm-alert-ack-untraced": {"TLSV-ALR-02"},
    },
    # segur-dpi 2.3.0: requirements outside the demo referential
    "segur-dpi": {
        # the received document is printed as XML: nothing of it is displayed for reading
        "cda-received-raw-xml": {"CDA/VISU.01"},
        # the DMP view asks for the IPP, which the DMP does not know: none of the patient's
        # documents is listed
        "dmp-consult-wrong-patient": {"DMP/CONS.01"},
    },
    "segur-dui": {
        # the structure's FINESS is checked where the authors' organisation is named
        "cda-legal-entity-finess": {"HL-DUI-01"},
    },
    # e-prescription (segur-lgc 1.0.0, ORDN requirements)
    "segur-lgc": {
        # nothing registered: the number printed was never registered, and an ordered refusal is
        # never met (the system prints regardless)
        "erx-not-registered": {"ORDN/ENR.01", "ORDN/ENR.02", "ORDN/IMP.01"},
        "erx-qr-other-prescription": {"ORDN/IMP.01"},
        # the service refuses the registration; the system rightly prints nothing, so the
        # printout requirements fail for want of a printed prescription
        "erx-prescriber-id-missing": {"ORDN/ENR.01", "ORDN/IMP.01", "ORDN/IMP.02"},
    },
}

PROGRAMME_DEFECTS = [(ref, defect) for ref, covers in sorted(PROGRAMME_COVERS.items()) for defect in sorted(covers)]


# verdict changes a defect causes besides failures, each for a stated reason
SIDE_EFFECTS: dict[str, dict[str, str]] = {
    # with no lang attribute at all, "is the language code valid" has nothing to test
    "missing-lang": {"RGAA-8.4": "skipped"},
}


# defects that reproduce what real systems showed (issue 15): each must also give the
# same verdicts and messages on identical runs
REAL_SYSTEM_DEFECTS = ("heading-skip", "http-only", "late-render", "reset-after-500", "wrong-base-url")
CLEAN_REPEATS = 3


def _clean_workers(repeat: int) -> int:
    """The last repeat of the clean demo runs in `homolog demo`'s default processes: checks
    that run side by side must give what they give one after the other."""
    return DEMO_WORKERS if repeat == CLEAN_REPEATS - 1 else 0


DEFECT_REPEATS = 3

POOL_SIZE = 5
pytestmark = pytest.mark.xdist_group("demo-defects")


@pytest.fixture(scope="module")
def pool(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoPool]:
    """The demo runs; every run the selected tests need is queued at once.

    The longest first, so that what is left at the end is short and five runs keep the cores
    busy to the last: the clean run (every defect is compared with it), the merged shards
    (three runs one after the other), the repeats (the last clean one in two processes, with
    traces), the programmes' clean runs, then one run per defect.
    """
    size = int(os.environ.get("HOMOLOG_TEST_DEMO_SUTS") or POOL_SIZE)
    mine = [i for i in request.session.items if i.module is request.module]
    selected = [i for i in mine if hasattr(i, "callspec")]
    with DemoPool(tmp_path_factory.mktemp("demo-pool"), size) as demo_pool:
        if any("programme" not in i.fixturenames and "pool" in i.fixturenames for i in mine):
            demo_pool.submit(())  # the demo referential's clean run
        if any(i.originalname == SHARDS_TEST for i in mine):
            demo_pool.submit_job(SHARDS_JOB, _merged_shards)
        if any(i.originalname == "test_clean_demo_gives_the_same_verdicts_and_messages" for i in mine):
            for repeat in range(1, CLEAN_REPEATS):
                demo_pool.submit((), repeat=repeat, workers=_clean_workers(repeat))
        for item in selected:
            if item.originalname == "test_real_system_defect_gives_the_same_verdicts_and_messages":
                for repeat in range(1, DEFECT_REPEATS):
                    demo_pool.submit({item.callspec.params["defect"]}, repeat=repeat)
        for item in selected:
            if "programme" in item.callspec.params:
                demo_pool.submit((), referential=item.callspec.params["programme"])
        for item in selected:
            params = item.callspec.params
            if "defect" in params:
                demo_pool.submit({params["defect"]}, referential=params.get("programme", DEFAULT_REFERENTIAL))
        yield demo_pool


@pytest.fixture(scope="module")
def clean(pool: DemoPool) -> dict[str, str]:
    return pool.result(()).verdicts()


def test_every_defect_is_covered() -> None:
    from homolog.fixtures.refsut import DEFECTS

    programme = [defect for covers in PROGRAMME_COVERS.values() for defect in covers]
    assert len(programme) == len(set(programme))  # one referential proves each defect
    assert not set(COVERS) & set(programme)
    assert set(COVERS) | set(programme) == set(DEFECTS)


def test_programme_coverage_names_requirements_of_its_referential() -> None:
    from homolog.referential import load_referential

    for ref, covers in PROGRAMME_COVERS.items():
        automated = {r.id for r in load_referential(ref).requirements if r.kind == "automated"}
        for defect, rids in covers.items():
            assert rids and rids <= automated, (ref, defect, rids - automated)


@pytest.mark.slow
@pytest.mark.timeout(1800)  # waits for the pool's first runs
def test_clean_demo_passes_every_automated_requirement(clean: dict[str, str], pool: DemoPool) -> None:
    bad = {rid: v for rid, v in clean.items() if v in ("failed", "error")}
    assert not bad, _said(pool.result(()), set(bad))
    for covered in COVERS.values():
        for rid in covered:
            assert clean[rid] == "passed", rid


@pytest.mark.slow
@pytest.mark.timeout(3600)  # waits for its run in the pool's queue
@pytest.mark.parametrize("defect", sorted(COVERS))
def test_defect_fails_its_requirements_and_only_those(defect: str, clean: dict[str, str], pool: DemoPool) -> None:
    run = pool.result({defect})
    got = run.verdicts()
    failed = {rid for rid, v in got.items() if v == "failed"}
    assert failed == COVERS[defect], _said(run, failed ^ COVERS[defect])
    expected = {rid: clean[rid] for rid in got if rid not in COVERS[defect]} | SIDE_EFFECTS.get(defect, {})
    changed = {rid: (expected[rid], v) for rid, v in got.items() if rid not in COVERS[defect] and v != expected[rid]}
    assert not changed, f"other requirements changed verdict (expected, got): {changed}; {_said(run, set(changed))}"


def _said(run: Run, rids: set[str]) -> str:
    """What the run's checks said for these requirements (why a verdict is not the one expected)."""
    said = {
        req["id"]: [(chk["check"], chk["verdict"], chk.get("message")) for chk in req.get("checks") or []]
        for req in run.doc["requirements"]
        if req["id"] in rids
    }
    return f"the checks said: {said} (run {run.run_dir})"


def _cases(run: Run) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(requirement, check, parameters) -> (verdict, message), addresses named."""
    addresses = run.addresses
    pattern = re.compile("|".join(re.escape(a) for a in addresses)) if addresses else None

    def plain(text: str | None) -> str:
        text = text or ""
        return pattern.sub(lambda m: addresses[m.group(0)], text) if pattern else text

    out = {}
    for req in run.doc["requirements"]:
        out[(req["id"], "", "")] = (req["verdict"], plain(req.get("reason")))
        for chk in req.get("checks") or []:
            key = (req["id"], chk["check"], json.dumps(chk.get("params"), sort_keys=True))
            out[key] = (chk["verdict"], plain(chk.get("message")))
    return out


def _differences(runs: list[Run]) -> dict[Any, list[tuple[str, str]]]:
    cases = [_cases(run) for run in runs]
    keys = set().union(*cases)
    return {k: [c.get(k, ("absent", "")) for c in cases] for k in sorted(keys) if len({c.get(k) for c in cases}) > 1}


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_clean_demo_gives_the_same_verdicts_and_messages(pool: DemoPool) -> None:
    runs = [pool.result((), repeat=i, workers=_clean_workers(i)) for i in range(CLEAN_REPEATS)]
    assert not _differences(runs)
    assert len(_cases(runs[0])) > 150  # every case of every requirement was compared


@pytest.mark.slow
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("defect", REAL_SYSTEM_DEFECTS)
def test_real_system_defect_gives_the_same_verdicts_and_messages(defect: str, pool: DemoPool) -> None:
    runs = [pool.result({defect}, repeat=i) for i in range(DEFECT_REPEATS)]
    assert not _differences(runs)
    for run in runs:
        assert {rid for rid, v in run.verdicts().items() if v == "failed"} == COVERS[defect]


@pytest.mark.slow
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("programme", sorted(PROGRAMME_COVERS))
def test_programme_demo_passes_every_automated_requirement(programme: str, pool: DemoPool) -> None:
    run = pool.result((), referential=programme)
    verdicts = run.verdicts()
    bad = {rid: v for rid, v in verdicts.items() if v in ("failed", "error")}
    assert not bad, _said(run, set(bad))
    for covered in PROGRAMME_COVERS[programme].values():
        for rid in covered:
            assert verdicts[rid] == "passed", rid


@pytest.mark.slow
@pytest.mark.timeout(3600)
@pytest.mark.parametrize(("programme", "defect"), PROGRAMME_DEFECTS)
def test_programme_defect_fails_its_requirements_and_only_those(programme: str, defect: str, pool: DemoPool) -> None:
    clean = pool.result((), referential=programme).verdicts()
    run = pool.result({defect}, referential=programme)
    got = run.verdicts()
    covers = PROGRAMME_COVERS[programme][defect]
    failed = {rid for rid, v in got.items() if v == "failed"}
    assert failed == covers, _said(run, failed ^ covers)
    changed = {rid: (clean[rid], v) for rid, v in got.items() if rid not in covers and v != clean[rid]}
    assert not changed, f"other requirements changed verdict (clean, got): {changed}; {_said(run, set(changed))}"


def _shown(doc: RunDocument) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    return {r.id: (r.shown, [(c.check, c.shown) for c in r.checks]) for r in doc.requirements}


SHARDS_JOB = "merged-shards"
SHARDS_TEST = "test_three_merged_shards_of_the_demo_have_the_verdicts_of_the_unsharded_demo"


def _merged_shards(folder: Path) -> list[Path]:
    """The demo in three shards, one after the other against one reference system, as N CI
    machines run against one staging system: the same target file for all, which the merge
    requires. A system of its own: the shards lock its sacrificial account."""
    shards = []
    with started_demo_sut(set(), folder / "sut-shards") as demo, pool_environment(demo.env):
        for k in (1, 2, 3):
            shard = api.run(
                DEFAULT_REFERENTIAL,
                demo.target_path,
                out=folder / f"shard-{k}",
                counterparts=demo.counterparts,
                shard=f"{k}/3",
            )
            assert shard.document.summary.deselected.selection == f"--shard {k}/3"
            shards.append(shard.run_dir)
    return shards


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_three_merged_shards_of_the_demo_have_the_verdicts_of_the_unsharded_demo(
    pool: DemoPool, tmp_path: Path
) -> None:
    """The demo in three shards (`_merged_shards`, a job of the pool), merged, gives the
    verdicts of the clean demo run at once (the pool's clean demo)."""
    shards = pool.submit_job(SHARDS_JOB, _merged_shards).result()
    whole = read_run(pool.result(()).run_dir)
    merged = merge_shards(shards, tmp_path / "merged")
    assert _shown(merged) == _shown(whole)
    assert merged.status == whole.status
    assert merged.summary.requirements == whole.summary.requirements
    assert not merged.summary.deselected.requirements
    assert verify(tmp_path / "merged").ok and verify_shards(tmp_path / "merged") == []
