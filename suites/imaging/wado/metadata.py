"""Check `imaging.wado.metadata`: WADO-RS metadata of a study and a series, in DICOM JSON."""

from __future__ import annotations

from homolog import CheckError, Evidence, HttpClient, Target, TestData, check, fail
from homolog.suites.imaging.dicomweb import (
    DICOM_JSON,
    STUDY,
    attribute,
    dicom_json_problems,
    get,
    hex_tag,
    media_type,
    metadata,
    results,
    study_uid,
)

CLAUSE = (
    "DICOM PS3.18 §10.4 (Retrieve transaction: the study, series and instance metadata resources, Table "
    "10.4.1-1), §8.7 (metadata in application/dicom+json) and Annex F.2 (bulk data such as Pixel Data is "
    "referenced by BulkDataURI, not inlined)"
)


@check("imaging.wado.metadata", needs=STUDY)
def wado_metadata(http: HttpClient, target: Target, evidence: Evidence, test_data: TestData) -> None:
    """Study and series metadata come as application/dicom+json, one object per instance of that study/series."""
    uid = study_uid(http, target, test_data)
    problems: list[str] = []
    resp = metadata(http, target, f"/studies/{uid}/metadata")
    if media_type(resp) != DICOM_JSON:
        problems.append(f"{resp.describe()} is labelled {media_type(resp) or 'nothing'}, not {DICOM_JSON}")
    items = results(resp)
    if not items:
        raise CheckError(f"WADO-RS metadata of study {uid} is empty: check data.dicom_study")
    problems += dicom_json_problems(items)
    for i, item in enumerate(items):
        if attribute(item, "StudyInstanceUID") != [uid]:
            problems.append(f"instance {i} belongs to study {attribute(item, 'StudyInstanceUID')}, not {uid}")
        if not attribute(item, "SOPInstanceUID") or not attribute(item, "SeriesInstanceUID"):
            problems.append(f"instance {i} lacks SOPInstanceUID or SeriesInstanceUID")
        pixels = item.get(hex_tag("PixelData"))
        if isinstance(pixels, dict) and "InlineBinary" in pixels:
            problems.append(f"instance {i} inlines Pixel Data instead of a BulkDataURI")
        elif isinstance(pixels, dict) and isinstance(pixels.get("BulkDataURI"), str) and i == 0:
            bulk = get(
                http, target, str(pixels["BulkDataURI"]), accept='multipart/related; type="application/octet-stream"'
            )
            if bulk.status_code != 200:
                problems.append(f"the Pixel Data BulkDataURI answered {bulk.status_code} ({bulk.describe()})")
    series = [s for s in (attribute(items[0], "SeriesInstanceUID")[:1]) if isinstance(s, str)]
    if series:
        part = metadata(http, target, f"/studies/{uid}/series/{series[0]}/metadata")
        got = results(part)
        expected = sum(1 for item in items if attribute(item, "SeriesInstanceUID") == series)
        if len(got) != expected or any(attribute(g, "SeriesInstanceUID") != series for g in got):
            problems.append(f"{part.describe()} returned {len(got)} objects, {expected} instances are in that series")
    evidence.attach_json("wado-metadata.json", {"clause": CLAUSE, "instances": len(items), "problems": problems})
    if problems:
        fail(f"WADO-RS metadata ({CLAUSE.split(' (')[0]}): " + "; ".join(problems[:6]))
