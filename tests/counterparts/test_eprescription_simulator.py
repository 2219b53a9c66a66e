"""The e-prescription simulator over real HTTPS: a registration holding what the service requires
gets its unique number; missing or ill-formed data, other media types, bodies that are not JSON,
too deep or too large are refused with the reason and recorded; refusals ordered on the control
API are applied once, then withdrawn."""

from __future__ import annotations

import copy
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from homolog.counterparts.eprescription import EprescriptionControl, EprescriptionSimulator

pytestmark = pytest.mark.timeout(120)

VALID: dict[str, Any] = {
    "prescriber": {"idNatPS": "810000000009", "name": "Dr Bernard MARTIN"},
    "patient": {
        "ins": "279035121518989",
        "insOid": "1.2.250.1.213.1.4.10",
        "birthName": "ZOLA",
        "firstName": "Lise",
        "birthDate": "1979-03-28",
        "sex": "F",
    },
    "issued": "2026-11-30",
    "items": [{"designation": "PARACETAMOL 500 mg", "dosage": "1 comprimé 3 fois par jour", "duration": "5 jours"}],
}


@pytest.fixture(scope="module")
def erx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EprescriptionSimulator]:
    oids = ("1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.10")
    with EprescriptionSimulator(accepted_ins_oids=oids, workdir=tmp_path_factory.mktemp("erx")) as sim:
        yield sim


@pytest.fixture
def client(erx: EprescriptionSimulator) -> Iterator[httpx.Client]:
    EprescriptionControl(erx.control_url).reset()
    with httpx.Client(verify=ssl.create_default_context(cafile=str(erx.ca_file)), timeout=10) as c:
        yield c


def _with(path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    node = body
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return body


def test_a_complete_registration_gets_its_number(erx: EprescriptionSimulator, client: httpx.Client) -> None:
    resp = client.post(erx.url, json=VALID)
    assert resp.status_code == 201, resp.text
    number = resp.json()["prescriptionId"]
    assert len(number) == 22 and number.isalnum()
    control = EprescriptionControl(erx.control_url)
    [entry] = control.prescriptions()
    assert entry["prescription_id"] == number
    assert entry["prescriber"] == "810000000009" and entry["patient_ins"] == "279035121518989"
    record = control.exchanges()[-1]
    assert record["outcome"] == "registered" and record["prescription_id"] == number
    assert record["http"]["tls_version"] in ("TLSv1.2", "TLSv1.3")


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        ("prescriber.idNatPS", None, "prescriber.idNatPS is missing"),
        ("prescriber.idNatPS", "810000000008", "its check digit is wrong"),
        ("patient.ins", "279035121518988", "key 88 is wrong"),
        ("patient.insOid", "1.2.250.1.213.1.4.2", "is not an INS domain the service accepts"),
        ("patient.birthDate", "28/03/1979", "is not a date"),
        ("issued", None, "issued is missing"),
        ("items", [], "at least one item"),
        ("items.0.dosage", None, "items[0].dosage is missing"),
    ],
)
def test_missing_or_ill_formed_data_is_refused_with_the_reason(
    erx: EprescriptionSimulator, client: httpx.Client, path: str, value: Any, problem: str
) -> None:
    resp = client.post(erx.url, json=_with(path, value))
    assert resp.status_code == 422
    assert resp.json()["error"] == "ERX_INVALID"
    assert any(problem in p for p in resp.json()["problems"]), resp.json()
    record = EprescriptionControl(erx.control_url).exchanges()[-1]
    assert record["outcome"] == "refused" and any(problem in p for p in record["problems"])
    assert EprescriptionControl(erx.control_url).prescriptions() == []


@pytest.mark.parametrize(
    ("content", "ctype", "status", "reason"),
    [
        (b"<prescription/>", "application/xml", 415, "expected application/json"),
        (b"{not json", "application/json", 400, "not JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", 400, "nested too deeply"),
        (b"[1]", "application/json", 422, "not a JSON object"),
        (b" " * (300 * 1024), "application/json", 413, "above the 262144-byte limit"),
    ],
    ids=["xml", "not-json", "deep-nesting", "not-an-object", "300kb"],
)
def test_hostile_bodies_are_refused_and_recorded(
    erx: EprescriptionSimulator, client: httpx.Client, content: bytes, ctype: str, status: int, reason: str
) -> None:
    resp = client.post(erx.url, content=content, headers={"Content-Type": ctype})
    assert resp.status_code == status
    record = EprescriptionControl(erx.control_url).exchanges()[-1]
    assert any(reason in p for p in record["problems"]), record["problems"]
    # the service still answers afterwards
    assert client.post(erx.url, json=VALID).status_code == 201


def test_an_ordered_refusal_is_applied_once_then_withdrawn(erx: EprescriptionSimulator, client: httpx.Client) -> None:
    control = EprescriptionControl(erx.control_url)
    control.refuse_next(1, status=422, code="ERX_REFUSED", reason="refused for the test")
    refused = client.post(erx.url, json=VALID)
    assert refused.status_code == 422 and refused.json() == {
        "error": "ERX_REFUSED",
        "problems": ["refused for the test"],
    }
    assert client.post(erx.url, json=VALID).status_code == 201
    control.refuse_next(3)
    assert control.info()["pending_refusals"] == 3
    control.cancel_refusals()
    assert control.info()["pending_refusals"] == 0
    assert client.post(erx.url, json=VALID).status_code == 201


def test_other_paths_and_methods_are_refused(erx: EprescriptionSimulator, client: httpx.Client) -> None:
    assert client.get(erx.url).status_code == 405
    assert client.post(erx.url.rsplit("/", 1)[0] + "/other", json=VALID).status_code == 404


def test_a_chunked_body_is_refused_before_it_is_read(erx: EprescriptionSimulator, client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"prescriber": '
        yield b"{}}"

    resp = client.post(erx.url, content=chunks(), headers={"Content-Type": "application/json"})
    assert resp.status_code == 411
    record = EprescriptionControl(erx.control_url).exchanges()[-1]
    assert record["outcome"] == "rejected" and "send Content-Length" in record["problems"][0]
