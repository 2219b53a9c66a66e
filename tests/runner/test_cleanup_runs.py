"""Two consecutive `data_policy: create` runs leave the system as they found it (issue 16.5).

The reference system here holds no Practitioner and no Organization (`directory=False`), so
the run creates them (TestData) besides what the write checks post; the cleanup ledger
removes it all at the end. Same system, same verdicts: the second run sees what the first
saw, not the leftovers of the first.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from engine_support import interruptible, requirement, write_referential

from homolog.cleanup import Ledger, record_write
from homolog.testing import run_referential

HERE = Path(__file__).resolve().parent
REFERENTIAL = Path(__file__).resolve().parents[2] / "referentials" / "fr-core-api" / "fr-core-api-1.1.0.yaml"


def _counts(sut: Any) -> Counter[str]:
    """Resources the FHIR server holds, by type (patients by current record and by version)."""
    store = sut.state.store
    counts: Counter[str] = Counter()
    for rtype, by_id in store.resources.items():
        counts[rtype] = len(by_id)
    counts["Observation"] = len(sut.state.observations.live())
    counts["Patient"] = len(store.patients)
    counts["Patient versions"] = sum(len(h) for h in store.patients.values())
    return +counts


def _verdicts(doc: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    return {r["id"]: (r["verdict"], *(c["verdict"] for c in r["checks"])) for r in doc["requirements"]}


def test_two_create_runs_give_the_same_verdicts_and_restore_the_counts(refsut: Any, tmp_path: Path) -> None:
    sut = refsut(directory=False)
    assert "practitioner" not in sut.data and "organization" not in sut.data
    before = _counts(sut)
    assert before["Practitioner"] == 0 and before["Patient"] > 0

    first = run_referential(REFERENTIAL, sut.target_path, tmp_path / "run1")
    after_first = _counts(sut)
    second = run_referential(REFERENTIAL, sut.target_path, tmp_path / "run2")
    after_second = _counts(sut)

    # the runs wrote to the system (else this would prove nothing) and recorded it all
    for doc in (first, second):
        cleanup = doc["cleanup"]
        assert cleanup["created"] > 0, cleanup
        assert cleanup["removed"] == cleanup["created"] and cleanup["restored"] == cleanup["changed"], cleanup
        assert cleanup["remaining"] == [], cleanup
    assert after_first == before, "the first run left the system changed"
    assert after_second == before, "the second run left the system changed"
    assert _verdicts(second) == _verdicts(first)
    # FRCORE-API-05 needed a Practitioner the target names none of: the run made it, no error
    req05 = next(r for r in first["requirements"] if r["id"] == "FRCORE-API-05")
    assert req05["verdict"] == "passed", [c["message"] for c in req05["checks"]]


BASES = {"fhir": "https://sut.test/fhir"}


def _write(ledger: Ledger, method: str, url: str, status: int, location: str | None, before: Any = None) -> None:
    record_write(
        ledger, BASES, method=method, url=url, status=status, content=b"", location=location, before=before, by="t"
    )


def test_a_conditional_put_that_creates_is_in_the_ledger_as_created(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    url = "https://sut.test/fhir/Observation?identifier=urn%3Ax%7C1"
    _write(ledger, "PUT", url, 201, "https://sut.test/fhir/Observation/abc/_history/1")
    _write(ledger, "PUT", url, 200, None)  # the one match updated: the same resource, still "created"
    # the check deletes it itself: nothing is left to restore (a DELETE is no change to undo)
    _write(ledger, "DELETE", "https://sut.test/fhir/Observation/abc", 204, None, before={"resourceType": "Observation"})
    [entry] = ledger.entries()
    assert (entry.op, entry.type, entry.id, entry.outcome) == ("created", "Observation", "abc", "removed")
    assert ledger.pending() == []


def test_homolog_cleanup_finishes_what_a_killed_run_left(refsut: Any, tmp_path: Path) -> None:
    import ssl

    import httpx
    import yaml

    from homolog.cli import main

    sut = refsut()
    run_dir = tmp_path / "run"
    run_referential(REFERENTIAL, sut.target_path, run_dir, extra_args=["-k", "FRCORE-API-01"])
    before = _counts(sut)
    # What a run killed before its clean-up leaves: a resource on the system, in the ledger.
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}], "text": "Body weight"},
        "subject": {"reference": "Patient/pat-qual"},
        "valueQuantity": {"value": 70, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"},
    }
    headers = {
        "Authorization": f"Bearer {sut.env['HOMOLOG_DEMO_FHIR_TOKEN']}",
        "Content-Type": "application/fhir+json",
        "Accept": "application/fhir+json",
    }
    trust = ssl.create_default_context(cafile=str(sut.ca_file))
    with httpx.Client(verify=trust, headers=headers, trust_env=False) as http:
        url = f"{sut.base_https}/fhir/Observation"
        made = http.post(url, json=observation)
        assert made.status_code == 201, made.text[:300]
        bases = yaml.safe_load(sut.target_path.read_text("utf-8"))["base_urls"]
        record_write(
            Ledger(run_dir), bases, method="POST", url=url, status=201, content=made.content,
            location=made.headers["Location"], before=None, by="a killed run",
        )  # fmt: skip
        assert Ledger(run_dir).pending() and _counts(sut) != before

        assert main(["cleanup", str(run_dir)]) == 0
        assert _counts(sut) == before
        assert http.get(f"{url}/{made.json()['id']}").status_code in (404, 410)
    assert Ledger(run_dir).pending() == []
    assert main(["cleanup", str(run_dir)]) == 0  # nothing left: says so


def _run_until_read(sut: Any, tmp_path: Path, waits: int, seconds: float, **popen: Any) -> subprocess.Popen[Any]:
    """`homolog run` of a read check (it creates the data it needs) then `waits` sleeps, in a
    subprocess; returns once the read check's result is written (its data waits for the end)."""
    ref = write_referential(
        tmp_path / "ref.yaml",
        [
            requirement("R.read", "fhir.rest.read"),
            *(
                requirement(f"R.wait{i}", "engine.outcome.sleep", with_={"seconds": seconds, "visit": i})
                for i in range(waits)
            ),
        ],
        id="cleanup-interrupted",
    )
    run_dir = tmp_path / "run"
    command = [sys.executable, "-m", "homolog.cli", "run", "-r", str(ref), "-t", str(sut.target_path)]
    command += ["--out", str(run_dir), "--report", "", "--", "-p", "enginechecks"]
    proc = subprocess.Popen(interruptible(command), env=_env(), **popen)
    results = run_dir / "results.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (results.exists() and b'"R.read"' in results.read_bytes()):
        time.sleep(0.05)
    return proc


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))


@pytest.mark.slow
def test_ctrl_c_cleans_up_what_the_run_created(refsut: Any, tmp_path: Path) -> None:
    """A run interrupted after it created test data still deletes it before it stops."""
    sut = refsut(directory=False)  # no Practitioner/Organization: the read check makes them
    before = _counts(sut)
    proc = _run_until_read(sut, tmp_path, 30, 2.0, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    run_dir = tmp_path / "run"
    ledger = Ledger(run_dir)
    assert ledger.entries(), "the run created nothing"
    assert _counts(sut) != before  # created and not yet removed: the run is under way
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode != 0, out
    doc = json.loads((run_dir / "run.json").read_text("utf-8"))
    verdicts = {r["id"]: r["verdict"] for r in doc["requirements"]}
    assert verdicts["R.read"] == "passed"
    assert sum(v == "passed" for v in verdicts.values()) < len(verdicts)  # interrupted before the end
    cleanup = doc["cleanup"]
    assert cleanup["created"] > 0 and cleanup["removed"] == cleanup["created"] and cleanup["remaining"] == []
    assert ledger.pending() == []
    assert _counts(sut) == before


@pytest.mark.slow
def test_resume_finishes_the_clean_up_of_a_killed_run(refsut: Any, tmp_path: Path) -> None:
    """SIGKILL leaves the run's test data on the system; `--resume` completes the run and removes it."""
    sut = refsut(directory=False)
    before = _counts(sut)
    proc = _run_until_read(
        sut, tmp_path, 20, 0.5, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    run_dir = tmp_path / "run"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    ledger = Ledger(run_dir)
    assert ledger.pending(), "the killed run left nothing to clean up"
    assert _counts(sut) != before

    resume = [sys.executable, "-m", "homolog.cli", "run", "--resume", str(run_dir), "--report", ""]
    done = subprocess.run(
        [*resume, "--", "-p", "enginechecks"], capture_output=True, text=True, env=_env(), timeout=300
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    doc = json.loads((run_dir / "run.json").read_text("utf-8"))
    assert {r["verdict"] for r in doc["requirements"]} == {"passed"}
    assert ledger.pending() == []
    assert _counts(sut) == before


def test_the_clean_up_authenticates_with_the_longest_base_holding_the_url(tmp_path: Path) -> None:
    # `web` at the host's root and `dicomweb` below it both hold a stored study's URL: the
    # removal goes with the credentials of the DICOMweb base, not the web login
    import yaml

    from homolog.cleanup import _auth_for
    from homolog.target import load_target

    path = tmp_path / "t.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "format": "homolog.target/1",
                "system": {"name": "two bases on one host", "version": "1"},
                "base_urls": {"web": "https://pacs.example", "dicomweb": "https://pacs.example/dicom-web"},
                "auth": {
                    "web": {"type": "form", "username": "u", "password_env": "HOMOLOG_TEST_UNSET"},
                    "dicomweb": {"type": "bearer", "token_env": "HOMOLOG_TEST_UNSET"},
                },
            },
            sort_keys=False,  # `web` first, as the demo target writes it
        )
    )
    target = load_target(path)
    assert _auth_for(target, "https://pacs.example/dicom-web/studies/1.2.3", None) == "dicomweb"
    assert _auth_for(target, "https://pacs.example/patients/1", None) == "web"
