"""The DMP simulator over real HTTPS: ITI-41 accepted or refused with the IHE error codes,
and hostile input (not MTOM, malformed SOAP, MTOM without its part, XXE in metadata, a 50 MB
attachment) answered with the reason, recorded, never crashing or hanging the service."""

from __future__ import annotations

import re
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from homolog.counterparts.dmp import DmpControl, DmpSimulator
from homolog.fixtures.refsut.cda import build_document
from homolog.fixtures.refsut.dmp import FeedOptions, build_iti41
from homolog.fixtures.refsut.patients import PatientRecord
from homolog.fixtures.refsut.seed import AUTHOR, CUSTODIAN

pytestmark = pytest.mark.timeout(120)

TEST_OIDS = ("1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.10")


def patient(pid: str = "pat-1") -> PatientRecord:
    return PatientRecord(
        id=pid,
        status="QUAL",
        birth_name="ZOLA",
        birth_given_names=["LISE", "MARIE"],
        sex="F",
        birth_date="1979-03-28",
        birth_place_insee="51215",
        ins="279035121518989",
        ins_oid="1.2.250.1.213.1.4.10",
    )


def request(
    *, defects: frozenset[str] = frozenset(), hidden: bool = False, cda: bytes | None = None
) -> tuple[str, bytes, bytes]:
    rec = patient()
    document = cda or build_document("LDL-SES", patient=rec.as_cda_patient(), author=AUTHOR, custodian=CUSTODIAN)
    ctype, body = build_iti41(
        document,
        rec,
        author=AUTHOR,
        custodian=CUSTODIAN,
        options=FeedOptions(hidden_from_patient=hidden),
        defects=defects,
    )
    return ctype, body, document


@pytest.fixture(scope="module")
def dmp(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[DmpSimulator]:
    with DmpSimulator(
        cda_material=shared_data / "cda",
        accepted_ins_oids=TEST_OIDS,
        workdir=tmp_path_factory.mktemp("dmp"),
    ) as sim:
        yield sim


@pytest.fixture
def client(dmp: DmpSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(verify=ssl.create_default_context(cafile=str(dmp.ca_file)), timeout=60) as c:
        yield c


def send(client: httpx.Client, dmp: DmpSimulator, ctype: str, body: bytes) -> httpx.Response:
    return client.post(dmp.url, content=body, headers={"Content-Type": ctype})


def last(dmp: DmpSimulator) -> dict[str, Any]:
    return dmp.exchanges()[-1]


def codes(record: dict[str, Any]) -> list[str]:
    return [e["code"] for e in record.get("errors") or []]


def test_a_conformant_submission_is_accepted_and_kept(client: httpx.Client, dmp: DmpSimulator) -> None:
    ctype, body, document = request(hidden=True)
    resp = send(client, dmp, ctype, body)
    assert resp.status_code == 200
    assert 'status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"' in resp.text
    record = last(dmp)
    assert record["outcome"] == "Success", record["errors"]
    entry = record["documents"][0]
    assert entry["patient_id"] == "279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH"
    assert entry["cda"]["validated"] and entry["cda"]["valid"]
    assert ("INVISIBLE_PATIENT", "1.2.250.1.213.1.1.4.13") in [
        (c["code"], c["scheme"]) for c in entry["confidentiality"]
    ]
    assert "ProvideAndRegisterDocumentSetRequest" in record["envelope"]
    control = DmpControl(dmp.control_url)
    assert control.document(record) == document
    assert entry["unique_id"] in [d["unique_id"] for d in control.documents()]


def test_the_same_unique_id_twice_is_a_duplicate(client: httpx.Client, dmp: DmpSimulator) -> None:
    ctype, body, _ = request()
    send(client, dmp, ctype, body)
    send(client, dmp, ctype, body)
    assert "XDSDuplicateUniqueIdInRegistry" in codes(last(dmp))


@pytest.mark.parametrize(
    ("defect", "code", "words"),
    [
        ("dmp-wrong-patient-oid", "XDSUnknownPatientId", "not under an INS OID"),
        ("dmp-cda-not-conformant", "InvalidDocumentContent", "not conformant"),
    ],
)
def test_defective_submissions_are_refused_with_the_error_code(
    client: httpx.Client, dmp: DmpSimulator, defect: str, code: str, words: str
) -> None:
    ctype, body, _ = request(defects=frozenset({defect}))
    resp = send(client, dmp, ctype, body)
    assert "ResponseStatusType:Failure" in resp.text
    assert f'errorCode="{code}"' in resp.text
    record = last(dmp)
    assert code in codes(record)
    assert any(words in e["context"] for e in record["errors"])


@pytest.mark.parametrize(
    ("edit", "code", "words"),
    [
        # a code outside its value set
        (
            lambda b: b.replace(b'nodeRepresentation="ETABLISSEMENT"', b'nodeRepresentation="NOPE"'),
            "XDSRegistryMetadataError",
            "JDV_J04",
        ),
        # author without an idNatPS
        (
            lambda b: b.replace(b"&amp;1.2.250.1.71.4.2.1&amp;ISO", b"&amp;1.2.3&amp;ISO", 1),
            "XDSRegistryMetadataError",
            "idNatPS",
        ),
        # hash slot of another document
        (
            lambda b: re.sub(rb'(name="hash"><rim:ValueList><rim:Value>)[0-9a-f]+', rb"\g<1>" + b"0" * 40, b),
            "XDSNonIdenticalHash",
            "SHA-1",
        ),
        # clinical date that is not the CDA's
        (
            lambda b: re.sub(
                rb'(name="serviceStartTime"><rim:ValueList><rim:Value>)[0-9]+', rb"\g<1>19990101000000", b
            ),
            "XDSRegistryMetadataError",
            "clinical date",
        ),
        # submission set without its source id
        (
            lambda b: b.replace(
                b"urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832", b"urn:uuid:00000000-0000-0000-0000-000000000000"
            ),
            "XDSRegistryMetadataError",
            "sourceId is missing",
        ),
    ],
    ids=["value-set", "author", "hash", "service-start", "source-id"],
)
def test_metadata_rules(client: httpx.Client, dmp: DmpSimulator, edit: Any, code: str, words: str) -> None:
    ctype, body, _ = request()
    send(client, dmp, ctype, edit(body))
    record = last(dmp)
    assert record["outcome"] == "Failure"
    assert any(e["code"] == code and words in e["context"] for e in record["errors"]), record["errors"]


def test_not_mtom_is_a_fault(client: httpx.Client, dmp: DmpSimulator) -> None:
    _, body, _ = request()
    start = body.index(b"<?xml")
    envelope = body[start : body.index(b"</soap:Envelope>") + len(b"</soap:Envelope>")]
    resp = send(client, dmp, "application/soap+xml", envelope)
    assert resp.status_code == 400
    assert "is sent as MTOM/XOP (multipart/related)" in resp.text
    assert last(dmp)["outcome"] == "fault"


def test_not_a_soap_envelope_is_a_fault(client: httpx.Client, dmp: DmpSimulator) -> None:
    resp = send(client, dmp, "application/soap+xml", b"<x/>")
    assert resp.status_code == 400
    assert "expected a SOAP Envelope" in resp.text


def update(document: bytes, *, hidden: bool, previous: str = "1") -> tuple[str, bytes]:
    from homolog.fixtures.refsut.dmp import build_iti57

    return build_iti57(
        document,
        patient(),
        author=AUTHOR,
        custodian=CUSTODIAN,
        hidden=hidden,
        previous_version=previous,
        defects=frozenset(),
    )


def test_a_metadata_update_makes_a_hidden_document_visible(client: httpx.Client, dmp: DmpSimulator) -> None:
    ctype, body, document = request(hidden=True)
    send(client, dmp, ctype, body)
    unique_id = last(dmp)["documents"][0]["unique_id"]
    registry = {d["unique_id"]: d for d in DmpControl(dmp.control_url).documents()}
    assert "INVISIBLE_PATIENT" in [c["code"] for c in registry[unique_id]["confidentiality"]]
    resp = send(client, dmp, *update(document, hidden=False))
    assert "ResponseStatusType:Success" in resp.text
    assert last(dmp)["operation"] == "update"
    registry = {d["unique_id"]: d for d in DmpControl(dmp.control_url).documents()}
    assert [c["code"] for c in registry[unique_id]["confidentiality"]] == ["N"]
    assert registry[unique_id]["version"] == 2
    # The same update again names a version the registry no longer holds.
    send(client, dmp, *update(document, hidden=False))
    assert "XDSMetadataVersionError" in codes(last(dmp))


def test_a_metadata_update_of_an_unknown_document_is_refused(client: httpx.Client, dmp: DmpSimulator) -> None:
    document = build_document("VSM", patient=patient().as_cda_patient(), author=AUTHOR, custodian=CUSTODIAN)
    send(client, dmp, *update(document, hidden=False))
    record = last(dmp)
    assert record["outcome"] == "Failure"
    assert any("is not in the registry" in e["context"] for e in record["errors"])


def test_malformed_soap_in_the_root_part_is_a_fault(client: httpx.Client, dmp: DmpSimulator) -> None:
    ctype, body, _ = request()
    broken = body.replace(b"</soap:Envelope>", b"</soap:Envelop", 1)
    resp = send(client, dmp, ctype, broken)
    assert resp.status_code == 400
    assert "not well-formed XML" in resp.text
    assert "not well-formed XML" in last(dmp)["problems"][0]


def test_mtom_without_the_referenced_part(client: httpx.Client, dmp: DmpSimulator) -> None:
    ctype, body, _ = request()
    resp = send(client, dmp, ctype, body.replace(b"Content-ID: <document01@", b"Content-ID: <other@"))
    assert "XDSMissingDocument" in resp.text
    record = last(dmp)
    assert any("a MIME part the message does not carry" in e["context"] for e in record["errors"])


def test_xxe_in_metadata_is_refused_not_resolved(client: httpx.Client, dmp: DmpSimulator) -> None:
    ctype, body, _ = request()
    hostile = body.replace(
        b"<?xml version='1.0' encoding='UTF-8'?>",
        b"<?xml version='1.0' encoding='UTF-8'?><!DOCTYPE e [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>",
        1,
    ).replace(b'value="Alimentation du DMP"', b'value="&x;"', 1)
    assert b"<!DOCTYPE" in hostile
    resp = send(client, dmp, ctype, hostile)
    assert resp.status_code == 400
    assert "declares a DTD" in resp.text
    assert "root:" not in resp.text
    assert last(dmp)["outcome"] == "fault"


def test_a_50_mb_attachment_is_refused_before_it_is_read(client: httpx.Client, dmp: DmpSimulator) -> None:
    ctype, body, document = request()
    huge = body.replace(document, document + b" " * (50 * 1024 * 1024))
    start = time.monotonic()
    try:
        resp = send(client, dmp, ctype, huge)
        assert resp.status_code == 413
    except httpx.HTTPError:
        pass  # the server may close while the client still writes: the refusal is recorded below
    assert time.monotonic() - start < 60
    record = last(dmp)
    assert record["outcome"] == "rejected"
    assert "above the 16777216-byte limit" in record["problems"][0]
    # The service still answers.
    ctype, body, _ = request()
    assert send(client, dmp, ctype, body).status_code == 200


def test_without_cda_material_the_record_says_the_cda_was_not_validated(tmp_path: Path, shared_data: Path) -> None:
    with (
        DmpSimulator(
            value_sets=shared_data / "cda" / "jeuxDeValeurs", accepted_ins_oids=TEST_OIDS, workdir=tmp_path
        ) as sim,
        httpx.Client(verify=ssl.create_default_context(cafile=str(sim.ca_file))) as c,
    ):
        ctype, body, _ = request()
        c.post(sim.url, content=body, headers={"Content-Type": ctype})
        entry = sim.exchanges()[-1]["documents"][0]
        assert entry["cda"] == {
            "validated": False,
            "reason": "no ANS CDA material configured: the CDA was not validated",
        }


def test_without_value_sets_codes_are_checked_against_their_code_system(tmp_path: Path) -> None:
    with DmpSimulator(accepted_ins_oids=TEST_OIDS, workdir=tmp_path) as sim:
        info = DmpControl(sim.control_url).info()
        assert "no value set file" in info["value_sets"]["classCode"]
        with httpx.Client(verify=ssl.create_default_context(cafile=str(sim.ca_file))) as c:
            ctype, body, _ = request()
            c.post(sim.url, content=body, headers={"Content-Type": ctype})
            bad = body.replace(b"<rim:Value>1.2.250.1.213.1.1.4.9</rim:Value>", b"<rim:Value>9.9.9</rim:Value>")
            c.post(sim.url, content=bad, headers={"Content-Type": ctype})
        first, second = sim.exchanges()[-2:]
        assert first["outcome"] == "Success", first["errors"]
        assert any("expected one of 1.2.250.1.213.1.1.4.9" in e["context"] for e in second["errors"])
