"""The DICOMweb readers the imaging checks share, on recorded bodies (no server)."""

from __future__ import annotations

import httpx
import pytest

from homolog import CheckFailed, Response
from homolog.suites.imaging.dicomweb import (
    attribute,
    dicom_json_problems,
    multipart_parts,
    part10,
    query_string,
)
from homolog.suites.imaging.synthetic import synthetic_instance


def _response(content: bytes, ctype: str) -> Response:
    return Response(
        "GET", "https://pacs.test/dicom-web/studies/1", 200, httpx.Headers({"content-type": ctype}), content, 0.0
    )


def test_query_strings_encode_reserved_characters_but_not_wildcards_and_lists() -> None:
    assert (
        query_string([("PatientName", "TEST^ALICE"), ("PatientID", "IMG-00*")])
        == "PatientName=TEST%5EALICE&PatientID=IMG-00*"
    )
    assert query_string([("StudyInstanceUID", "1.2,1.3"), ("StudyDescription", "a b&c")]) == (
        "StudyInstanceUID=1.2,1.3&StudyDescription=a%20b%26c"
    )


def test_dicom_json_model_problems() -> None:
    good = [
        {"00100010": {"vr": "PN", "Value": [{"Alphabetic": "TEST^ALICE"}]}, "0020000D": {"vr": "UI", "Value": ["1.2"]}}
    ]
    assert dicom_json_problems(good) == []
    assert attribute(good[0], "PatientName") == ["TEST^ALICE"]
    bad = [
        {
            "PatientName": {"vr": "PN", "Value": ["TEST^ALICE"]},
            "00100010": {"vr": "PN", "Value": ["TEST^ALICE"]},
            "00100020": {"Value": ["x"]},
            "7FE00010": {"vr": "OW", "BulkDataURI": "u", "InlineBinary": "AAAA"},
            "00081199": {"vr": "SQ", "Value": [{"00081155": {"vr": "XX"}}]},
        }
    ]
    problems = " | ".join(dicom_json_problems(bad))
    assert "[0].PatientName: the key is not 8 uppercase hexadecimal digits" in problems
    assert "[0].00100010: a PN value is not an object" in problems
    assert "[0].00100020: no valid vr" in problems
    assert "more than one of Value, BulkDataURI, InlineBinary" in problems
    assert "[0].00081199[0].00081155: no valid vr" in problems


def test_multipart_parts_and_part10() -> None:
    inst = synthetic_instance()
    body = b"--b1\r\nContent-Type: application/dicom\r\n\r\n" + inst.part10 + b"\r\n--b1--\r\n"
    parts = multipart_parts(_response(body, 'multipart/related; type="application/dicom"; boundary=b1'))
    assert len(parts) == 1 and parts[0][0]["content-type"] == "application/dicom"
    assert str(part10(parts[0][1]).SOPInstanceUID) == inst.sop_uid
    with pytest.raises(CheckFailed, match="not multipart/related"):
        multipart_parts(_response(inst.part10, "application/dicom"))
    with pytest.raises(CheckFailed, match=r"not a DICOM PS3\.10 file"):
        part10(b"not dicom at all")
