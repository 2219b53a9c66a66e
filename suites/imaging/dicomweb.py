"""DICOMweb (PS3.18 Studies Service) calls and readers the imaging checks share.

Requests go to the target's base ``dicomweb`` with the auth entry of the same name when the
target declares one (bearer, basic, header). Query strings are built here: reserved and
unsafe characters of values are percent-encoded, ``*``, ``?`` and ``,`` (wildcards, UID
lists) are sent as they are, which RFC 3986 allows in a query. Everything the server
returns is untrusted: JSON is checked for shape before use, multipart bodies are parsed
with ``email`` and bounded, DICOM parts with pydicom.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from email.parser import BytesParser
from email.policy import HTTP
from io import BytesIO
from typing import Any
from urllib.parse import quote

from pydicom import dcmread
from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from homolog import CheckError, CheckFailed, HttpClient, Needs, Response, Target, TestData
from homolog.suites.imaging.synthetic import SyntheticInstance, queryable_study

__all__ = [
    "BASE",
    "DICOMWEB",
    "DICOM_JSON",
    "MULTIPART_DICOM",
    "STUDY",
    "STUDY_KEY",
    "DicomJsonProblem",
    "accept_dicom",
    "attribute",
    "dicom_json_problems",
    "get",
    "hex_tag",
    "media_type",
    "metadata",
    "multipart_parts",
    "part10",
    "query_string",
    "results",
    "search",
    "store",
    "study_record",
    "study_uid",
    "uids",
]

BASE = "dicomweb"
STUDY_KEY = "dicom_study"
# What the checks need from the target (resolved by the plan before they run): the
# DICOMweb base, and the study they query: the target's, or one the run stores with STOW-RS
# when the target lets it write (`data_policy: create`).
DICOMWEB = Needs(bases=("dicomweb",))
STUDY = DICOMWEB | Needs(data=(STUDY_KEY,), creates=(STUDY_KEY,))
DICOM_JSON = "application/dicom+json"
MULTIPART_DICOM = 'multipart/related; type="application/dicom"'
_SAFE = "*?,-._~:"
_MAX_PARTS = 200
_VRS = frozenset(
    [
        "AE",
        "AS",
        "AT",
        "CS",
        "DA",
        "DS",
        "DT",
        "FD",
        "FL",
        "IS",
        "LO",
        "LT",
        "OB",
        "OD",
        "OF",
        "OL",
        "OV",
        "OW",
        "PN",
        "SH",
        "SL",
        "SQ",
        "SS",
        "ST",
        "SV",
        "TM",
        "UC",
        "UI",
        "UL",
        "UN",
        "UR",
        "US",
        "UT",
        "UV",
    ]
)
_HEX_TAG = re.compile(r"^[0-9A-F]{8}$")


class DicomJsonProblem(ValueError):
    """A body that is not the DICOM JSON model (PS3.18 Annex F)."""


def hex_tag(keyword: str) -> str:
    """``PatientName`` -> ``00100010`` (the DICOM JSON key)."""
    tag = tag_for_keyword(keyword)
    if tag is None:
        raise ValueError(f"unknown DICOM keyword {keyword}")
    return f"{int(tag):08X}"


def study_uid(http: HttpClient, target: Target, test_data: TestData) -> str:
    """The Study Instance UID the query and retrieval checks use: the target's
    ``data.dicom_study``, or (no study named, ``data_policy: create``) a two-instance synthetic
    study the first check to ask stores with STOW-RS, the same for every check of the run.
    The study stored is in the run's clean-up ledger: ``DELETE /studies/{uid}`` at the end of
    the run, which PS3.18 does not define (a server that refuses it keeps the study, and the
    clean-up summary says so)."""
    value = test_data.get(STUDY_KEY, lambda: _store_study(http))
    if not isinstance(value, str) or not re.fullmatch(r"[0-9.]{1,64}", value):
        raise CheckError(f"data.{STUDY_KEY} must be a Study Instance UID (digits and dots), got {value!r}")
    return value


def store(http: HttpClient, instances: list[SyntheticInstance]) -> Response:
    """STOW-RS of `instances` in one multipart request (PS3.18 10.5)."""
    boundary = "homolog-" + instances[0].sop_uid[-12:]
    body = b"".join(
        f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode() + inst.part10 + b"\r\n"
        for inst in instances
    )
    return http.request(
        "POST",
        "/studies",
        base=BASE,
        auth=_auth(http.target),
        content=body + f"--{boundary}--\r\n".encode(),
        headers={"Content-Type": f"{MULTIPART_DICOM}; boundary={boundary}", "Accept": DICOM_JSON},
    )


def _store_study(http: HttpClient) -> str:
    """Store a synthetic study for the checks to query; its UID, once it is in the ledger."""
    instances = queryable_study()
    uid = instances[0].study_uid
    resp = store(http, instances)
    if resp.status_code != 200:
        raise CheckError(
            f"the run stores a synthetic study to query (data_policy: create, no data.{STUDY_KEY}): "
            f"{resp.describe()} answered {resp.status_code}, not 200; name a study under data.{STUDY_KEY}"
        )
    if http.ledger is None:
        raise CheckError(f"the synthetic study {uid} was stored but the run has no clean-up ledger to record it in")
    url = http.target.base_url(BASE).rstrip("/") + f"/studies/{uid}"
    http.ledger.created(url, "DICOM study", uid, by=http.evidence.slug if http.evidence else None)
    return uid


def _auth(target: Target) -> str | None:
    return BASE if target.auth(BASE) is not None else None


def query_string(params: Iterable[tuple[str, str]]) -> str:
    """``k=v&...`` with values percent-encoded but for wildcard and list characters."""
    return "&".join(f"{quote(k, safe='')}={quote(v, safe=_SAFE)}" for k, v in params)


def get(
    http: HttpClient,
    target: Target,
    path: str,
    *,
    query: str = "",
    accept: str | None = DICOM_JSON,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """GET on the DICOMweb base, with the target's credentials for it."""
    hdrs = dict(headers or {})
    if accept:
        hdrs["Accept"] = accept
    return http.get(path + (f"?{query}" if query else ""), base=BASE, auth=_auth(target), headers=hdrs)


def search(http: HttpClient, target: Target, path: str, params: Iterable[tuple[str, str]]) -> Response:
    """A QIDO-RS request (``/studies``, ``/studies/{uid}/instances`` ...)."""
    return get(http, target, path, query=query_string(params))


def media_type(resp: Response) -> str:
    return str(resp.headers.get("content-type", "")).split(";")[0].strip().lower()


def results(resp: Response) -> list[dict[str, Any]]:
    """The result list of a QIDO-RS or metadata answer (200 with a JSON array, or 204 empty).

    The media type is not judged here (the dicom_json check does): a wrong label must fail
    one requirement, not all of them.
    """
    if resp.status_code == 204 or (resp.status_code == 200 and not resp.content.strip()):
        return []
    if resp.status_code != 200:
        raise CheckFailed(f"expected 200, got {resp.status_code} for {resp.describe()}")
    body = resp.json()
    if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
        raise CheckFailed(f"{resp.describe()} did not return a JSON array of DICOM JSON objects")
    return body


def attribute(obj: Mapping[str, Any], keyword: str) -> list[Any]:
    """The values of an attribute in a DICOM JSON object ([] when absent or empty)."""
    elem = obj.get(hex_tag(keyword))
    if not isinstance(elem, dict):
        return []
    values = elem.get("Value")
    if not isinstance(values, list):
        return []
    if elem.get("vr") == "PN":
        return [v.get("Alphabetic") for v in values if isinstance(v, dict) and v.get("Alphabetic")]
    return values


def uids(items: Iterable[Mapping[str, Any]], keyword: str = "StudyInstanceUID") -> list[str]:
    return [str(v) for item in items for v in attribute(item, keyword)[:1]]


def study_record(http: HttpClient, target: Target, uid: str, *, includefield: str | None = None) -> dict[str, Any]:
    """The QIDO-RS record of a study, found by its UID; CheckError when it cannot be had."""
    params = [("StudyInstanceUID", uid)] + ([("includefield", includefield)] if includefield else [])
    resp = search(http, target, "/studies", params)
    try:
        found = [r for r in results(resp) if uid in uids([r])]
    except CheckFailed as exc:
        raise CheckError(f"the study {uid} cannot be looked up: {exc}") from None
    if not found:
        raise CheckError(
            f"QIDO-RS finds no study {uid} by its UID ({resp.describe()}): check data.{STUDY_KEY} "
            "names a study on the system"
        )
    return found[0]


def metadata(http: HttpClient, target: Target, path: str) -> Response:
    """A WADO-RS metadata request (``/studies/{uid}/metadata`` ...)."""
    return get(http, target, path)


def accept_dicom(transfer_syntax: str | None = None) -> str:
    return MULTIPART_DICOM + (f"; transfer-syntax={transfer_syntax}" if transfer_syntax else "")


def multipart_parts(resp: Response) -> list[tuple[dict[str, str], bytes]]:
    """(part headers, payload) of a multipart/related body; CheckFailed when it is not one."""
    ctype = resp.headers.get("content-type", "")
    if not ctype.lower().startswith("multipart/related"):
        raise CheckFailed(f"{resp.describe()} answered {ctype or 'no content type'}, not multipart/related")
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {ctype}\r\n\r\n".encode("latin-1") + resp.content)
    if not message.is_multipart():
        raise CheckFailed(f"{resp.describe()}: the body is not a multipart message (boundary missing or wrong)")
    parts = []
    for i, part in enumerate(message.iter_parts()):
        if i >= _MAX_PARTS:
            break
        payload = part.get_payload(decode=True)
        parts.append(({k.lower(): str(v) for k, v in part.items()}, payload if isinstance(payload, bytes) else b""))
    return parts


def part10(payload: bytes) -> Dataset:
    """A PS3.10 file read without its pixel data; CheckFailed when it is not one."""
    try:
        return dcmread(BytesIO(payload), force=False, stop_before_pixels=True)
    except (InvalidDicomError, EOFError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise CheckFailed(f"a part is not a DICOM PS3.10 file: {exc}") from None


def dicom_json_problems(items: list[Any]) -> list[str]:
    """Where a parsed body departs from the DICOM JSON model (PS3.18 Annex F.2)."""
    problems: list[str] = []

    def walk(obj: Any, where: str) -> None:
        if not isinstance(obj, dict):
            problems.append(f"{where}: not a JSON object")
            return
        for key, elem in obj.items():
            at = f"{where}.{key}"
            if not _HEX_TAG.match(str(key)):
                problems.append(f"{at}: the key is not 8 uppercase hexadecimal digits")
                continue
            if not isinstance(elem, dict) or elem.get("vr") not in _VRS:
                problems.append(f"{at}: no valid vr")
                continue
            present = [k for k in ("Value", "BulkDataURI", "InlineBinary") if k in elem]
            if len(present) > 1:
                problems.append(f"{at}: more than one of Value, BulkDataURI, InlineBinary")
            if "Value" in elem:
                values = elem["Value"]
                if not isinstance(values, list):
                    problems.append(f"{at}: Value is not an array")
                elif elem["vr"] == "PN" and not all(isinstance(v, dict) or v is None for v in values):
                    problems.append(f"{at}: a PN value is not an object with Alphabetic/Ideographic/Phonetic")
                elif elem["vr"] == "SQ":
                    for i, item in enumerate(values):
                        walk(item, f"{at}[{i}]")
            if len(problems) > 20:
                return

    for i, item in enumerate(items):
        walk(item, f"[{i}]")
    return problems
