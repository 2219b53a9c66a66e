"""Consulting the simulated DMP: the registry stored query and the document retrieval.

How a professional's software reads a patient's DMP, after the IHE XDS.b profile the DMP
integration guide builds on (paraphrased, ITI Technical Framework vol. 2):

- **Registry Stored Query** (ITI-18): an ``query:AdhocQueryRequest`` naming a stored query
  by its UUID. This registry knows *FindDocuments*: the patient id
  (``$XDSDocumentEntryPatientId``, one quoted CX value ``'ID^^^&OID&ISO'``) and the
  entry status (``$XDSDocumentEntryStatus``, a list of status URNs) are required; the
  answer is a ``query:AdhocQueryResponse`` listing the patient's document entries, in
  full (``returnType="LeafClass"``: title, type, dates, author, identifiers, the
  repository that holds the document) or as references (``ObjectRef``). Any other
  parameter is refused by name rather than silently ignored: the simulator applies none.
- **Retrieve Document Set** (ITI-43): an ``xds:RetrieveDocumentSetRequest`` listing
  (repository uniqueId, document uniqueId) pairs; the answer, sent as MTOM/XOP, carries
  each document found as a binary part, and a registry error for each one not found.

A patient id whose assigning authority is not an accepted INS OID is refused
(``XDSUnknownPatientId``): the DMP knows patients by their INS only.

Everything here reads untrusted XML already parsed safely (:mod:`..soap.envelope`) and
bounds what it reads and returns.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from ..soap.envelope import SOAP12_NS, WSA_NS
from .metadata import RIM_NS, RS_NS, XDS_NS
from .rules import RegistryError, parse_cx

__all__ = [
    "APPROVED",
    "FIND_DOCUMENTS",
    "MAX_RESULTS",
    "QUERY_NS",
    "REPOSITORY_ID",
    "FindDocuments",
    "Retrieve",
    "find_response",
    "parse_find_documents",
    "parse_retrieve",
    "patient_key",
    "registry_errors",
    "retrieve_response",
]

QUERY_NS = "urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0"
XOP_NS = "http://www.w3.org/2004/08/xop/include"
FIND_DOCUMENTS = "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d"
APPROVED = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"
# The simulated repository's uniqueId (a synthetic OID under homolog's test arc).
REPOSITORY_ID = "1.2.250.1.999.3.1"
MAX_RESULTS = 500
MAX_RETRIEVE = 20
_MAX_SLOTS = 50
_MAX_VALUES = 50
_MAX_VALUE = 1000
_SUCCESS = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"
_PARTIAL = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:PartialSuccess"
_FAILURE = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"
_ERROR = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"
_DOCUMENT_ENTRY = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
_SCHEMES = {
    "type_code": "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983",
    "class_code": "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a",
    "author": "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d",
    "patient_id": "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427",
    "unique_id": "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab",
}
_QUOTED = re.compile(r"^'(.*)'$", re.S)


def patient_key(value: str) -> tuple[str, str | None]:
    """(id, assigning authority OID) of a CX patient id: how two ids are compared."""
    ident, oid, _type = parse_cx(value.strip())
    return ident, oid


@dataclass(frozen=True)
class FindDocuments:
    """A FindDocuments stored query as read: what to search, or the errors that stop it."""

    patient_id: str
    statuses: tuple[str, ...]
    return_type: str
    errors: list[RegistryError] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"patient_id": self.patient_id, "statuses": list(self.statuses), "return_type": self.return_type}


@dataclass(frozen=True)
class Retrieve:
    """The (repository uniqueId, document uniqueId) pairs a Retrieve Document Set asks for."""

    requests: list[tuple[str, str]]
    errors: list[RegistryError] = field(default_factory=list)

    def to_json(self) -> list[dict[str, str]]:
        return [{"repository_id": r, "unique_id": u} for r, u in self.requests]


def _values(slot: etree._Element) -> list[str]:
    return [(v.text or "").strip()[:_MAX_VALUE] for v in slot.iter(f"{{{RIM_NS}}}Value")][:_MAX_VALUES]


def _list_values(values: list[str]) -> list[str]:
    """A stored query list parameter: ``('a','b')`` values, possibly split over several Values."""
    out = []
    for value in values:
        for item in value.strip().removeprefix("(").removesuffix(")").split(","):
            item = item.strip()
            match = _QUOTED.match(item)
            if item:
                out.append(match.group(1) if match else item)
    return out


def parse_find_documents(payload: etree._Element, accepted_oids: Collection[str]) -> FindDocuments:
    """Read an ``AdhocQueryRequest``; a query this registry cannot run comes back with errors."""
    errors: list[RegistryError] = []
    option = payload.find(f"{{{QUERY_NS}}}ResponseOption")
    return_type = (option.get("returnType") or "") if option is not None else ""
    if return_type not in ("LeafClass", "ObjectRef"):
        errors.append(
            RegistryError(
                "XDSRegistryError", f"ResponseOption returnType is {return_type[:100]!r}: LeafClass or ObjectRef"
            )
        )
    query = payload.find(f"{{{RIM_NS}}}AdhocQuery")
    query_id = (query.get("id") or "") if query is not None else ""
    if query is None or query_id != FIND_DOCUMENTS:
        errors.append(
            RegistryError(
                "XDSUnknownStoredQuery",
                f"stored query {query_id[:100]!r} is not known: this registry answers FindDocuments ({FIND_DOCUMENTS})",
            )
        )
        return FindDocuments("", (), return_type, errors)
    slots: dict[str, list[list[str]]] = {}
    for slot in query.findall(f"{{{RIM_NS}}}Slot")[:_MAX_SLOTS]:
        slots.setdefault((slot.get("name") or "")[:100], []).append(_values(slot))
    for name in sorted(set(slots) - {"$XDSDocumentEntryPatientId", "$XDSDocumentEntryStatus"}):
        errors.append(RegistryError("XDSRegistryError", f"parameter {name!r} is not supported by this simulated DMP"))
    patient_slots = slots.get("$XDSDocumentEntryPatientId", [])
    patient_values = [v for values in patient_slots for v in values]
    patient_id = ""
    if len(patient_values) != 1:
        errors.append(
            RegistryError(
                "XDSStoredQueryParamNumber",
                f"$XDSDocumentEntryPatientId must carry one value, it carries {len(patient_values)}",
            )
        )
    else:
        match = _QUOTED.match(patient_values[0])
        if match is None:
            errors.append(
                RegistryError(
                    "XDSRegistryError",
                    f"$XDSDocumentEntryPatientId {patient_values[0][:200]!r} is not a quoted string ('ID^^^&OID&ISO')",
                )
            )
        else:
            patient_id = match.group(1)
            ident, oid = patient_key(patient_id)
            if not ident or oid is None:
                errors.append(
                    RegistryError("XDSRegistryError", f"patient id {patient_id[:200]!r} is not a CX ID^^^&OID&ISO")
                )
            elif oid not in accepted_oids:
                errors.append(
                    RegistryError(
                        "XDSUnknownPatientId",
                        f"patient id domain {oid!r} is not an INS: the DMP knows patients by their INS"
                        f" ({', '.join(sorted(accepted_oids))})",
                    )
                )
    statuses = tuple(_list_values([v for values in slots.get("$XDSDocumentEntryStatus", []) for v in values]))
    if not statuses:
        errors.append(
            RegistryError("XDSStoredQueryParamNumber", "$XDSDocumentEntryStatus is required by FindDocuments")
        )
    return FindDocuments(patient_id, statuses, return_type, errors)


def parse_retrieve(payload: etree._Element) -> Retrieve:
    """Read a ``RetrieveDocumentSetRequest`` (at most :data:`MAX_RETRIEVE` documents)."""
    requests = []
    errors = []
    asked = payload.findall(f"{{{XDS_NS}}}DocumentRequest")
    if not asked:
        errors.append(RegistryError("XDSRegistryError", "the request names no xds:DocumentRequest"))
    if len(asked) > MAX_RETRIEVE:
        errors.append(
            RegistryError(
                "XDSRegistryError", f"{len(asked)} documents asked at once, above the limit of {MAX_RETRIEVE}"
            )
        )
        asked = []
    for n, req in enumerate(asked):
        repository = (req.findtext(f"{{{XDS_NS}}}RepositoryUniqueId") or "").strip()[:_MAX_VALUE]
        unique = (req.findtext(f"{{{XDS_NS}}}DocumentUniqueId") or "").strip()[:_MAX_VALUE]
        if not unique:
            errors.append(RegistryError("XDSRegistryError", f"DocumentRequest {n + 1} has no DocumentUniqueId"))
            continue
        requests.append((repository, unique))
    return Retrieve(requests, errors)


def _envelope(action: str, relates_to: str | None) -> tuple[etree._Element, etree._Element]:
    env = etree.Element(f"{{{SOAP12_NS}}}Envelope", nsmap={"env": SOAP12_NS, "wsa": WSA_NS})
    header = etree.SubElement(env, f"{{{SOAP12_NS}}}Header")
    etree.SubElement(header, f"{{{WSA_NS}}}Action").text = action
    if relates_to:
        etree.SubElement(header, f"{{{WSA_NS}}}RelatesTo").text = relates_to
    return env, etree.SubElement(env, f"{{{SOAP12_NS}}}Body")


def registry_errors(parent: etree._Element, errors: list[RegistryError]) -> None:
    """Append the RegistryErrorList of `errors` to `parent` (nothing when there is none)."""
    if not errors:
        return
    error_list = etree.SubElement(parent, f"{{{RS_NS}}}RegistryErrorList", highestSeverity=_ERROR)
    for err in errors:
        etree.SubElement(
            error_list,
            f"{{{RS_NS}}}RegistryError",
            errorCode=err.code,
            codeContext=err.context[:2000],
            location=err.location[:200],
            severity=_ERROR,
        )


def _slot(parent: etree._Element, name: str, *values: str) -> None:
    slot = etree.SubElement(parent, f"{{{RIM_NS}}}Slot", name=name)
    value_list = etree.SubElement(slot, f"{{{RIM_NS}}}ValueList")
    for value in values:
        etree.SubElement(value_list, f"{{{RIM_NS}}}Value").text = value


def _name(parent: etree._Element, text: str) -> None:
    name = etree.SubElement(parent, f"{{{RIM_NS}}}Name")
    etree.SubElement(name, f"{{{RIM_NS}}}LocalizedString", value=text)


def _leaf(objects: etree._Element, doc: Mapping[str, Any]) -> None:
    entry_id = str(doc["entry_uuid"])
    eo = etree.SubElement(
        objects,
        f"{{{RIM_NS}}}ExtrinsicObject",
        id=entry_id,
        mimeType=str(doc.get("mime_type") or "text/xml"),
        objectType=_DOCUMENT_ENTRY,
        status=APPROVED,
    )
    for name, key in (("creationTime", "creation_time"), ("size", "size"), ("hash", "hash")):
        if doc.get(key) not in (None, ""):
            _slot(eo, name, str(doc[key]))
    _slot(eo, "repositoryUniqueId", REPOSITORY_ID)
    _slot(eo, "languageCode", "fr-FR")
    _name(eo, str(doc.get("title") or ""))
    n = 0
    for key in ("class_code", "type_code"):
        code = doc.get(key)
        if isinstance(code, Mapping) and code.get("code"):
            n += 1
            cls = etree.SubElement(
                eo,
                f"{{{RIM_NS}}}Classification",
                id=f"{entry_id}-c{n}",
                classificationScheme=_SCHEMES[key],
                classifiedObject=entry_id,
                nodeRepresentation=str(code["code"]),
            )
            _slot(cls, "codingScheme", str(code.get("scheme") or ""))
            _name(cls, str(code.get("display") or code["code"]))
    for person in doc.get("authors") or []:
        n += 1
        cls = etree.SubElement(
            eo,
            f"{{{RIM_NS}}}Classification",
            id=f"{entry_id}-c{n}",
            classificationScheme=_SCHEMES["author"],
            classifiedObject=entry_id,
            nodeRepresentation="",
        )
        _slot(cls, "authorPerson", str(person))
    for key, label in (("patient_id", "XDSDocumentEntry.patientId"), ("unique_id", "XDSDocumentEntry.uniqueId")):
        n += 1
        ext = etree.SubElement(
            eo,
            f"{{{RIM_NS}}}ExternalIdentifier",
            id=f"{entry_id}-e{n}",
            identificationScheme=_SCHEMES[key],
            registryObject=entry_id,
            value=str(doc.get(key) or ""),
        )
        _name(ext, label)


def find_response(
    query: FindDocuments, found: Sequence[Mapping[str, Any]], *, action: str, relates_to: str | None
) -> bytes:
    """The ``AdhocQueryResponse``: the entries found, or the errors that stopped the query."""
    env, body = _envelope(action, relates_to)
    status = _FAILURE if query.errors else _SUCCESS
    response = etree.SubElement(
        body, f"{{{QUERY_NS}}}AdhocQueryResponse", nsmap={"query": QUERY_NS, "rim": RIM_NS, "rs": RS_NS}, status=status
    )
    objects = etree.SubElement(response, f"{{{RIM_NS}}}RegistryObjectList")
    if not query.errors:
        for doc in found[:MAX_RESULTS]:
            if query.return_type == "ObjectRef":
                etree.SubElement(objects, f"{{{RIM_NS}}}ObjectRef", id=str(doc["entry_uuid"]))
            else:
                _leaf(objects, doc)
    registry_errors(response, query.errors)
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))


def retrieve_response(
    retrieve: Retrieve,
    found: Sequence[tuple[Mapping[str, Any], bytes]],
    errors: list[RegistryError],
    *,
    action: str,
    relates_to: str | None,
) -> tuple[str, bytes]:
    """The ``RetrieveDocumentSetResponse`` as MTOM/XOP: (Content-Type, body)."""
    env, body = _envelope(action, relates_to)
    response = etree.SubElement(body, f"{{{XDS_NS}}}RetrieveDocumentSetResponse", nsmap={"xds": XDS_NS, "rs": RS_NS})
    all_errors = [*retrieve.errors, *errors]
    status = _SUCCESS if not all_errors else (_PARTIAL if found else _FAILURE)
    registry = etree.SubElement(response, f"{{{RS_NS}}}RegistryResponse", status=status)
    registry_errors(registry, all_errors)
    boundary = f"MIMEBoundary_{uuid.uuid4().hex}"
    attachments = []
    for n, (doc, data) in enumerate(found):
        cid = f"document{n}@dmp.homolog"
        answer = etree.SubElement(response, f"{{{XDS_NS}}}DocumentResponse")
        etree.SubElement(answer, f"{{{XDS_NS}}}RepositoryUniqueId").text = REPOSITORY_ID
        etree.SubElement(answer, f"{{{XDS_NS}}}DocumentUniqueId").text = str(doc["unique_id"])
        etree.SubElement(answer, f"{{{XDS_NS}}}mimeType").text = str(doc.get("mime_type") or "text/xml")
        document = etree.SubElement(answer, f"{{{XDS_NS}}}Document")
        etree.SubElement(document, f"{{{XOP_NS}}}Include", nsmap={"xop": XOP_NS}, href=f"cid:{cid}")
        attachments.append(
            f"\r\n--{boundary}\r\nContent-Type: {doc.get('mime_type') or 'text/xml'}\r\n"
            f"Content-Transfer-Encoding: binary\r\nContent-ID: <{cid}>\r\n\r\n".encode()
            + data
        )
    soap = bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))
    content = b"".join(
        [
            f'--{boundary}\r\nContent-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"\r\n'
            "Content-Transfer-Encoding: binary\r\nContent-ID: <root@dmp.homolog>\r\n\r\n".encode(),
            soap,
            *attachments,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    content_type = (
        f'multipart/related; boundary="{boundary}"; type="application/xop+xml";'
        ' start="<root@dmp.homolog>"; start-info="application/soap+xml"'
    )
    return content_type, content
