"""Check `imaging.stow.store_then_find`: an instance stored with STOW-RS is then found and retrieved.

The check creates data on the system: one synthetic study, listed in its evidence
(``created.json``). DICOMweb defines no deletion, so nothing is removed; a data lifecycle
(read-only targets skipped, a clean-up ledger, a vendor removal hook) will take the record.
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
    boundary = "homolog-" + inst.sop_uid[-12:]
    body = (
        f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode()
        + inst.part10
        + f"\r\n--{boundary}--\r\n".encode()
    )
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
                    "removed": "not removed: DICOMweb defines no deletion",
                }
            ]
        },
    )
    resp = http.request(
        "POST",
        "/studies",
        base=BASE,
        auth=BASE if target.auth(BASE) is not None else None,
        content=body,
        headers={
            "Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}',
            "Accept": "application/dicom+json",
        },
    )
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
