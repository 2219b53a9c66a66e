"""Check `imaging.stow.store_then_find`: an instance stored with STOW-RS is then found and retrieved.

The check creates data on the system (it needs ``data_policy: create``): one synthetic study,
listed in its evidence (``created.json``) and in the run's clean-up ledger, which removes it at
the end of the run with ``DELETE /studies/{uid}`` — not defined by PS3.18: a server that
refuses it keeps the study, and the clean-up summary says so.
"""

from __future__ import annotations

from typing import Any

from homolog import Evidence, HttpClient, Needs, Target, check, fail
from homolog.suites.imaging.dicomweb import (
    BASE,
    DICOMWEB,
    attribute,
    metadata,
    results,
    search,
    store,
    uids,
)
from homolog.suites.imaging.synthetic import synthetic_instance

CLAUSE = (
    'DICOM PS3.18 §10.5 (Store transaction: multipart/related; type="application/dicom" request; 200 when '
    "every instance is stored, with the Store Instances Response Module of Annex I: Referenced SOP Sequence "
    "(0008,1199) naming each stored instance, Failed SOP Sequence (0008,1198) for the others), then §10.6 "
    "and §10.4: what was stored is searchable and retrievable"
)
_REFERENCED, _FAILED, _SOP = "00081199", "00081198", "00081155"


def _referenced(body: Any, key: str) -> list[str]:
    seq = body.get(key) if isinstance(body, dict) else None
    items = seq.get("Value") if isinstance(seq, dict) else None
    out = []
    for item in items if isinstance(items, list) else []:
        sop = item.get(_SOP) if isinstance(item, dict) else None
        values = sop.get("Value") if isinstance(sop, dict) else None
        if isinstance(values, list) and values:
            out.append(str(values[0]))
    return out


@check("imaging.stow.store_then_find", needs=DICOMWEB | Needs(writes=True))
def store_then_find(http: HttpClient, target: Target, evidence: Evidence) -> None:
    """A synthetic instance stored with STOW-RS is acknowledged, then found by QIDO-RS and WADO-RS."""
    inst = synthetic_instance()
    evidence.attach_json(
        "created.json",
        {
            "created": [
                {
                    "type": "DICOM study",
                    "base": BASE,
                    "StudyInstanceUID": inst.study_uid,
                    "SOPInstanceUID": inst.sop_uid,
                    "PatientID": inst.patient_id,
                    "removed": "by the run's clean-up: DELETE /studies/{uid} (not defined by PS3.18)",
                }
            ]
        },
    )
    resp = store(http, [inst])
    if 200 <= resp.status_code < 300 and http.ledger is not None:
        url = target.base_url(BASE).rstrip("/") + f"/studies/{inst.study_uid}"
        http.ledger.created(url, "DICOM study", inst.study_uid, by=evidence.slug)
    problems: list[str] = []
    try:
        answer: Any = resp.json() if resp.content.strip() else None
    except Exception:  # judged below: a store answer that is not JSON lists nothing
        answer = None
    if resp.status_code != 200:
        problems.append(f"{resp.describe()} answered {resp.status_code}, not 200")
    if inst.sop_uid not in _referenced(answer, _REFERENCED):
        problems.append("the response's Referenced SOP Sequence does not name the stored instance")
    if inst.sop_uid in _referenced(answer, _FAILED):
        problems.append("the response lists the instance in its Failed SOP Sequence")
    found = uids(results(search(http, target, "/studies", [("StudyInstanceUID", inst.study_uid)])))
    if inst.study_uid not in found:
        problems.append(f"QIDO-RS then finds no study {inst.study_uid}")
    meta = metadata(http, target, f"/studies/{inst.study_uid}/metadata")
    sops = [
        str(s) for item in (results(meta) if meta.status_code == 200 else []) for s in attribute(item, "SOPInstanceUID")
    ]
    if inst.sop_uid not in sops:
        problems.append(f"WADO-RS metadata of the study then answers {meta.status_code} without the instance")
    evidence.attach_json("stow.json", {"clause": CLAUSE, "status": resp.status_code, "problems": problems})
    if problems:
        fail(f"store then find ({CLAUSE.split(' (')[0]}): " + "; ".join(problems))
