"""Check `imaging.wado.instances`: WADO-RS returns instances as multipart/related PS3.10 parts."""

from __future__ import annotations

from homolog import CheckError, CheckFailed, Evidence, HttpClient, Target, TestData, check, fail
from homolog.suites.imaging.dicomweb import (
    STUDY,
    accept_dicom,
    attribute,
    get,
    metadata,
    multipart_parts,
    part10,
    results,
    study_uid,
)

CLAUSE = (
    "DICOM PS3.18 §10.4 (Retrieve transaction: study, series and instance resources), §8.7.3 (instances in "
    'multipart/related; type="application/dicom", each part a PS3.10 file; without a transfer-syntax '
    "parameter the default transfer syntax, Explicit VR Little Endian 1.2.840.10008.1.2.1)"
)
EXPLICIT_LE = "1.2.840.10008.1.2.1"


@check("imaging.wado.instances", needs=STUDY)
def instances(http: HttpClient, target: Target, evidence: Evidence, test_data: TestData) -> None:
    """A study and one of its instances come back as multipart/related parts, each a PS3.10 file of that study."""
    uid = study_uid(http, target, test_data)
    meta = results(metadata(http, target, f"/studies/{uid}/metadata"))
    sops = {str(s) for item in meta for s in attribute(item, "SOPInstanceUID")}
    if not sops:
        raise CheckError(f"WADO-RS metadata names no instance of study {uid}: nothing to retrieve")
    problems: list[str] = []
    resp = get(http, target, f"/studies/{uid}", accept=accept_dicom())
    if resp.status_code != 200:
        fail(f"{resp.describe()} answered {resp.status_code}, not 200 ({CLAUSE.split(' (')[0]})")
    try:
        parts = multipart_parts(resp)
    except CheckFailed as exc:
        fail(f"{exc} ({CLAUSE.split(' (')[0]})")
    ctype = resp.headers.get("content-type", "").lower()
    if 'type="application/dicom"' not in ctype and "type=application/dicom" not in ctype:
        problems.append(f"the multipart type parameter is not application/dicom ({ctype})")
    got: set[str] = set()
    for i, (headers, payload) in enumerate(parts):
        if headers.get("content-type", "").split(";")[0].strip().lower() != "application/dicom":
            problems.append(f"part {i} is {headers.get('content-type')}, not application/dicom")
            continue
        try:
            ds = part10(payload)
        except CheckFailed as exc:
            problems.append(f"part {i}: {exc}")
            continue
        got.add(str(ds.SOPInstanceUID))
        if str(ds.get("StudyInstanceUID", "")) != uid:
            problems.append(f"part {i} belongs to study {ds.get('StudyInstanceUID')}")
        syntax = str(getattr(ds.file_meta, "TransferSyntaxUID", ""))
        if syntax != EXPLICIT_LE:
            problems.append(f"part {i} is in transfer syntax {syntax}, not the default {EXPLICIT_LE}")
    if got != sops:
        problems.append(f"{len(got)} instance(s) returned, the study's metadata lists {len(sops)}")
    first = next(iter(meta))
    series, sop = attribute(first, "SeriesInstanceUID")[0], attribute(first, "SOPInstanceUID")[0]
    one = f"/studies/{uid}/series/{series}/instances/{sop}"
    single = get(http, target, one, accept=accept_dicom("*"))
    try:
        single_parts = multipart_parts(single) if single.status_code == 200 else []
    except CheckFailed as exc:
        single_parts = []
        problems.append(str(exc))
    if single.status_code != 200 or len(single_parts) != 1:
        problems.append(f"{single.describe()} answered {single.status_code} with {len(single_parts)} part(s), not one")
    evidence.attach_json("wado-instances.json", {"clause": CLAUSE, "parts": len(parts), "problems": problems})
    if problems:
        fail(f"WADO-RS instances ({CLAUSE.split(' (')[0]}): " + "; ".join(problems[:6]))
