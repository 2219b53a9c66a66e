"""The DMP simulator's consultation over real HTTPS: FindDocuments (ITI-18) lists one
patient's documents and no one else's, Retrieve Document Set (ITI-43) returns them as MTOM;
queries the registry cannot run are refused by name, and hostile input (malformed SOAP, a
DTD, a huge body, thousands of slots) is answered with the reason, never crashing the service."""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from homolog.counterparts.dmp import DmpControl, DmpSimulator
from homolog.counterparts.dmp.consult import REPOSITORY_ID
from homolog.fixtures.refsut.cda import build_document
from homolog.fixtures.refsut.dmp import DmpConfig, FeedOptions, build_iti41
from homolog.fixtures.refsut.dmp_consult import DmpError, find_documents, retrieve_document
from homolog.fixtures.refsut.patients import PatientRecord
from homolog.fixtures.refsut.seed import AUTHOR, CUSTODIAN

pytestmark = pytest.mark.timeout(120)

TEST_OIDS = ("1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.10")
ZOLA = "279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH"
OTHER = "180017512345678^^^&1.2.250.1.213.1.4.10&ISO^NH"
FIND = "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d"


@pytest.fixture
def dmp(tmp_path: Path) -> Iterator[DmpSimulator]:
    with DmpSimulator(accepted_ins_oids=TEST_OIDS, workdir=tmp_path) as sim:
        yield sim


@pytest.fixture
def cfg(dmp: DmpSimulator) -> DmpConfig:
    return DmpConfig(url=dmp.url, ca_file=str(dmp.ca_file))


@pytest.fixture
def control(dmp: DmpSimulator) -> DmpControl:
    return DmpControl(dmp.control_url)


def seed(control: DmpControl, patient_id: str, title: str, content: bytes = b"<doc/>") -> dict[str, Any]:
    return control.seed(
        patient_id=patient_id,
        title=title,
        content=content,
        type_code={"code": "11502-2", "scheme": "2.16.840.1.113883.6.1", "display": "CR d'examens biologiques"},
        creation_time="20261129083000",
        authors=["810000000009^DUPONT^Anne^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS"],
    )


def post(dmp: DmpSimulator, body: bytes, ctype: str = "application/soap+xml; charset=utf-8") -> httpx.Response:
    with httpx.Client(verify=ssl.create_default_context(cafile=str(dmp.ca_file)), timeout=60) as client:
        return client.post(dmp.url, content=body, headers={"Content-Type": ctype})


def query(slots: str, *, query_id: str = FIND, return_type: str = "LeafClass", action: str | None = None) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://www.w3.org/2005/08/addressing">
 <env:Header><wsa:Action>{action or "urn:ihe:iti:2007:RegistryStoredQuery"}</wsa:Action>
  <wsa:MessageID>urn:uuid:1</wsa:MessageID></env:Header>
 <env:Body><query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0"
    xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">
  <query:ResponseOption returnComposedObjects="true" returnType="{return_type}"/>
  <rim:AdhocQuery id="{query_id}">{slots}</rim:AdhocQuery>
 </query:AdhocQueryRequest></env:Body></env:Envelope>""".encode()


def slot(name: str, *values: str) -> str:
    inner = "".join(f"<rim:Value>{v}</rim:Value>" for v in values)
    return f'<rim:Slot name="{name}"><rim:ValueList>{inner}</rim:ValueList></rim:Slot>'


STATUS = slot("$XDSDocumentEntryStatus", "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')")


def last(dmp: DmpSimulator) -> dict[str, Any]:
    return dmp.exchanges()[-1]


def test_find_documents_lists_the_patients_documents_and_no_one_elses(
    dmp: DmpSimulator, cfg: DmpConfig, control: DmpControl
) -> None:
    mine = [seed(control, ZOLA, "Compte rendu A"), seed(control, ZOLA, "Compte rendu B")]
    seed(control, OTHER, "Compte rendu d'un autre patient")
    entries = find_documents(cfg, "279035121518989^^^&1.2.250.1.213.1.4.10&ISO")
    assert sorted(e.title for e in entries) == ["Compte rendu A", "Compte rendu B"]
    assert {e.unique_id for e in entries} == {d["unique_id"] for d in mine}
    assert {e.repository_id for e in entries} == {REPOSITORY_ID}
    assert entries[0].type_label == "CR d'examens biologiques"
    assert entries[0].date == "29/11/2026"
    assert entries[0].author == "Anne DUPONT"
    record = last(dmp)
    assert record["operation"] == "find_documents"
    assert record["query"]["patient_id"] == "279035121518989^^^&1.2.250.1.213.1.4.10&ISO"
    assert sorted(record["results"]) == sorted(d["unique_id"] for d in mine)


def test_a_patient_without_documents_gets_an_empty_list(cfg: DmpConfig, control: DmpControl) -> None:
    seed(control, OTHER, "Compte rendu d'un autre patient")
    assert find_documents(cfg, ZOLA) == []


def test_a_document_fed_through_iti41_is_listed_and_retrieved(dmp: DmpSimulator, cfg: DmpConfig) -> None:
    rec = PatientRecord(
        id="pat-1",
        status="QUAL",
        birth_name="ZOLA",
        birth_given_names=["LISE"],
        sex="F",
        birth_date="1979-03-28",
        birth_place_insee="51215",
        ins="279035121518989",
        ins_oid="1.2.250.1.213.1.4.10",
    )
    document = build_document("VSM", patient=rec.as_cda_patient(), author=AUTHOR, custodian=CUSTODIAN)
    ctype, body = build_iti41(
        document, rec, author=AUTHOR, custodian=CUSTODIAN, options=FeedOptions(), defects=frozenset()
    )
    assert "ResponseStatusType:Success" in post(dmp, body, ctype).text
    (entry,) = find_documents(cfg, ZOLA)
    assert entry.author == "Bernard MARTIN"
    assert retrieve_document(cfg, entry.unique_id, entry.repository_id) == document
    record = last(dmp)
    assert record["operation"] == "retrieve"
    assert record["results"] == [entry.unique_id]


def test_retrieve_returns_the_seeded_bytes_as_an_mtom_part(
    dmp: DmpSimulator, cfg: DmpConfig, control: DmpControl
) -> None:
    doc = seed(control, ZOLA, "Compte rendu A", b"<ClinicalDocument>\x00\xff binary-safe</ClinicalDocument>")
    assert retrieve_document(cfg, doc["unique_id"], REPOSITORY_ID) == (
        b"<ClinicalDocument>\x00\xff binary-safe</ClinicalDocument>"
    )


@pytest.mark.parametrize(
    ("unique_id", "repository", "code"),
    [("2.25.1", REPOSITORY_ID, "XDSDocumentUniqueIdError"), (None, "1.2.3", "XDSUnknownRepositoryId")],
    ids=["unknown-document", "unknown-repository"],
)
def test_retrieve_of_what_the_dmp_does_not_hold_is_a_registry_error(
    dmp: DmpSimulator, cfg: DmpConfig, control: DmpControl, unique_id: str | None, repository: str, code: str
) -> None:
    doc = seed(control, ZOLA, "Compte rendu A")
    with pytest.raises(DmpError, match=code):
        retrieve_document(cfg, unique_id or doc["unique_id"], repository)
    assert last(dmp)["outcome"] == "Failure"


@pytest.mark.parametrize(
    ("slots", "kwargs", "code", "words"),
    [
        (STATUS, {}, "XDSStoredQueryParamNumber", "must carry one value, it carries 0"),
        (
            slot("$XDSDocumentEntryPatientId", f"'{ZOLA}'", f"'{OTHER}'") + STATUS,
            {},
            "XDSStoredQueryParamNumber",
            "it carries 2",
        ),
        (slot("$XDSDocumentEntryPatientId", f"'{ZOLA}'"), {}, "XDSStoredQueryParamNumber", "$XDSDocumentEntryStatus"),
        (slot("$XDSDocumentEntryPatientId", ZOLA) + STATUS, {}, "XDSRegistryError", "not a quoted string"),
        (
            slot("$XDSDocumentEntryPatientId", "'pat-1^^^&amp;1.2.250.1.999.1.1&amp;ISO^PI'") + STATUS,
            {},
            "XDSUnknownPatientId",
            "is not an INS",
        ),
        (
            slot("$XDSDocumentEntryPatientId", f"'{ZOLA}'") + STATUS + slot("$XDSDocumentEntryClassCode", "('11')"),
            {},
            "XDSRegistryError",
            "'$XDSDocumentEntryClassCode' is not supported",
        ),
        (STATUS, {"query_id": "urn:uuid:0000"}, "XDSUnknownStoredQuery", "is not known"),
        (
            slot("$XDSDocumentEntryPatientId", f"'{ZOLA}'") + STATUS,
            {"return_type": "Everything"},
            "XDSRegistryError",
            "returnType",
        ),
    ],
    ids=[
        "no-patient",
        "two-patients",
        "no-status",
        "unquoted",
        "ipp-not-ins",
        "unsupported-param",
        "unknown-query",
        "bad-return-type",
    ],
)
def test_queries_the_registry_cannot_run_are_refused_by_name(
    dmp: DmpSimulator, control: DmpControl, slots: str, kwargs: dict[str, str], code: str, words: str
) -> None:
    seed(control, ZOLA, "Compte rendu A")
    resp = post(dmp, query(slots.replace("&ISO", "&amp;ISO").replace("&1.", "&amp;1."), **kwargs))
    assert resp.status_code == 200
    assert "ResponseStatusType:Failure" in resp.text
    assert "ExtrinsicObject" not in resp.text  # a refused query lists nothing
    record = last(dmp)
    assert record["outcome"] == "Failure"
    assert any(e["code"] == code and words in e["context"] for e in record["errors"]), record["errors"]


def test_object_ref_answers_list_references_only(dmp: DmpSimulator, control: DmpControl) -> None:
    seed(control, ZOLA, "Compte rendu A")
    body = query(
        (slot("$XDSDocumentEntryPatientId", f"'{ZOLA}'") + STATUS).replace("&", "&amp;"), return_type="ObjectRef"
    )
    resp = post(dmp, body)
    assert "ResponseStatusType:Success" in resp.text
    assert "ObjectRef" in resp.text and "ExtrinsicObject" not in resp.text


def test_a_query_under_the_wrong_action_is_a_fault(dmp: DmpSimulator) -> None:
    resp = post(dmp, query(STATUS, action="urn:ihe:iti:2007:RetrieveDocumentSet"))
    assert resp.status_code == 400
    assert "expected urn:ihe:iti:2007:RegistryStoredQuery" in resp.text
    assert last(dmp)["outcome"] == "fault"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"<env:Envelope xmlns:env='http://www.w3.org/2003/05/soap-envelope'><env:Body>", 400, "not well-formed XML"),
        (
            b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            + query(STATUS).split(b"?>", 1)[1].replace(b"<rim:AdhocQuery", b"<rim:AdhocQuery name='&x;'", 1),
            400,
            "declares a DTD",
        ),
        (b"<a>" * 300 + b"</a>" * 300, 400, "not well-formed XML"),
    ],
    ids=["malformed", "xxe", "deeply-nested"],
)
def test_hostile_queries_are_faults_with_the_reason(dmp: DmpSimulator, body: bytes, status: int, words: str) -> None:
    resp = post(dmp, body)
    assert resp.status_code == status
    assert words in resp.text
    assert "root:" not in resp.text
    # The service still answers.
    assert (
        "ResponseStatusType:Success"
        in post(dmp, query((slot("$XDSDocumentEntryPatientId", f"'{ZOLA}'") + STATUS).replace("&", "&amp;"))).text
    )


def test_a_huge_query_is_refused_before_it_is_read(dmp: DmpSimulator) -> None:
    huge = query(STATUS + " " * (20 * 1024 * 1024))
    # the server may close while the client still writes: the refusal is recorded below
    with contextlib.suppress(httpx.HTTPError):
        assert post(dmp, huge).status_code == 413
    assert last(dmp)["outcome"] == "rejected"


def test_thousands_of_slots_and_values_are_bounded(dmp: DmpSimulator, control: DmpControl) -> None:
    seed(control, ZOLA, "Compte rendu A")
    many = slot("$XDSDocumentEntryPatientId", *([f"'{ZOLA}'"] * 2000)) * 20
    resp = post(dmp, query((many + STATUS).replace("&", "&amp;")))
    assert "ResponseStatusType:Failure" in resp.text
    assert "XDSStoredQueryParamNumber" in resp.text
    assert len(resp.content) < 64 * 1024


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"patient_id": ZOLA, "title": "x"}, "content_base64 must be a non-empty string"),
        ({"patient_id": ZOLA, "title": "x", "content_base64": "***"}, "not base64"),
        ({"patient_id": 3, "title": "x", "content_base64": "PGEvPg=="}, "patient_id must be a non-empty string"),
        ({"patient_id": ZOLA, "title": "x", "content_base64": "PGEvPg==", "type_code": "x"}, "type_code must be"),
        ([], "must be a JSON object"),
    ],
)
def test_seeding_refuses_bad_orders_with_the_reason(control: DmpControl, body: Any, words: str) -> None:
    from homolog.counterparts.soap import ControlError

    with pytest.raises(ControlError, match="400") as info:
        control.call("POST", "documents", body)
    assert words in str(info.value)


def test_a_seeded_unique_id_twice_is_refused(control: DmpControl) -> None:
    from homolog.counterparts.soap import ControlError

    control.seed(patient_id=ZOLA, title="x", content=b"<a/>", unique_id="2.25.42")
    with pytest.raises(ControlError, match="409"):
        control.seed(patient_id=ZOLA, title="x", content=b"<a/>", unique_id="2.25.42")
