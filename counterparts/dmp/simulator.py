"""A DMP simulator on 127.0.0.1: the document repository/registry a DPI feeds and reads.

It accepts the IHE XDS.b Provide and Register Document Set-b transaction (ITI-41) as
SOAP 1.2 with MTOM/XOP over HTTPS, and the metadata update of a registered document
(Update Document Set, ITI-57: how the DMP integration guide changes a document's
visibility; the document is designated by its uniqueId and the ``PreviousVersion`` slot
of its HasMember association), judges the submission with :mod:`.rules` (metadata as
the DMP integration guide profiles it, then the CDA with the documents suite's validator)
and answers an ``rs:RegistryResponse``: ``Success``, or ``Failure`` with a
``RegistryErrorList``. A message it cannot read at all (not MTOM, malformed XML, a DTD,
no envelope) gets a SOAP fault naming the reason. Every exchange is recorded with the
sanitised envelope, the metadata read, the errors found and each document (kept as a
binary part of the record, ``document-<n>``).

Consultation (:mod:`.consult`): the registry stored query FindDocuments (ITI-18) lists a
patient's documents, Retrieve Document Set (ITI-43) returns them as MTOM parts; every
accepted document is kept for that, and so is every document the control API seeds.

Control API (``DmpControl`` is its client): the generic actions of
:class:`~homolog.counterparts.soap.SoapService`, ``GET documents`` (the registry:
uniqueId, patient id, confidentiality, title, type... of every document) and ``POST
documents`` (a document already in a patient's DMP, as another professional fed it).

Example::

    with DmpSimulator(cda_material=Path("shared/data/cda")) as dmp:
        dmp.url, dmp.ca_file, dmp.control_url
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from lxml import etree

from ..identifiers import INS_NIA_OID, INS_NIR_OID
from ..soap.envelope import SOAP12_NS, WSA_NS, SoapError, fault, parse_envelope, parse_xml, sanitise_envelope
from ..soap.server import Reply, Request
from ..soap.simulator import SoapSimulator
from .consult import (
    REPOSITORY_ID,
    find_response,
    parse_find_documents,
    parse_retrieve,
    patient_key,
    registry_errors,
    retrieve_response,
)
from .metadata import RS_NS, DocumentEntry, parse_submission
from .mtom import parse_mtom
from .rules import RegistryError, check_document, check_submission, summary
from .valuesets import BINDINGS, ValueSets

__all__ = ["FAILURE", "ITI18_ACTION", "ITI41_ACTION", "ITI43_ACTION", "ITI57_ACTION", "SUCCESS", "DmpSimulator"]

ITI41_ACTION = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"
ITI57_ACTION = "urn:ihe:iti:2010:UpdateDocumentSet"
ITI18_ACTION = "urn:ihe:iti:2007:RegistryStoredQuery"
ITI43_ACTION = "urn:ihe:iti:2007:RetrieveDocumentSet"
SERVICE_PATH = "/dmp/repository"
SUCCESS = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"
FAILURE = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"
_MAX_ISSUES = 20
_MAX_SEEDED_BYTES = 5 * 1024 * 1024
_MAX_REGISTRY = 5000
CDA_XSD = Path("infrastructure") / "cda" / "CDA_extended.xsd"


class DmpSimulator(SoapSimulator):
    """The DMP repository/registry, simulated. See the module docstring.

    ``cda_material``: root of a copy of the ANS TestContenuCDA material (``schematrons/``,
    ``infrastructure/cda/CDA_extended.xsd``, ``jeuxDeValeurs/``); without it the CDA is not
    validated and every record says so. ``value_sets``: folder of CI-SIS value sets
    (default ``cda_material/jeuxDeValeurs``). ``accepted_ins_oids``: the patient id
    domains accepted (default INS-NIR and INS-NIA; a test platform adds the test ones).
    """

    name = "dmp"
    path = SERVICE_PATH

    def __init__(
        self,
        *,
        cda_material: Path | None = None,
        value_sets: Path | None = None,
        accepted_ins_oids: Iterable[str] = (INS_NIR_OID, INS_NIA_OID),
        host: str = "127.0.0.1",
        port: int = 0,
        control_port: int = 0,
        workdir: Path | None = None,
        max_body: int = 16 * 1024 * 1024,
    ) -> None:
        self.cda_material = Path(cda_material) if cda_material is not None else None
        folder = value_sets or (self.cda_material / "jeuxDeValeurs" if self.cda_material else None)
        self.value_sets = ValueSets(Path(folder) if folder else None)
        self.accepted_ins_oids = frozenset(accepted_ins_oids)
        self._xsd: etree.XMLSchema | None = None
        self._validator_lock = threading.Lock()
        self._registry: dict[str, dict[str, Any]] = {}
        self._contents: dict[str, bytes] = {}  # uniqueId -> the document, for Retrieve Document Set
        self._registry_lock = threading.Lock()
        super().__init__(host=host, port=port, control_port=control_port, workdir=workdir, max_body=max_body)

    # ---- control -----------------------------------------------------------------------
    def _info(self) -> dict[str, Any]:
        return {
            "transactions": [ITI41_ACTION, ITI57_ACTION, ITI18_ACTION, ITI43_ACTION],
            "repository_unique_id": REPOSITORY_ID,
            "accepted_ins_oids": sorted(self.accepted_ins_oids),
            "cda_validation": self.cda_material is not None,
            "value_sets": {name: self.value_sets.source(name) for name in BINDINGS},
        }

    def _control(self, method: str, action: str, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        if method == "GET" and action == "documents":
            with self._registry_lock:
                return 200, list(self._registry.values())
        if method == "POST" and action == "documents":
            return self._seed(body)
        return 404, {"error": f"unknown control action {method} {action}"}

    def _on_reset(self) -> None:
        with self._registry_lock:
            self._registry.clear()
            self._contents.clear()

    def _seed(self, body: Any) -> tuple[int, Any]:
        """``POST documents``: a document already in the patient's DMP (fed by someone else).

        Body: ``patient_id`` (CX), ``title``, ``content_base64``; optional ``unique_id``,
        ``type_code`` / ``class_code`` ({code, scheme, display}), ``creation_time`` (DTM),
        ``authors`` (authorPerson XCN values), ``mime_type``.
        """
        if not isinstance(body, dict):
            return 400, {"error": "the body must be a JSON object"}
        problems = [
            f"{key} must be a non-empty string"
            for key in ("patient_id", "title", "content_base64")
            if not isinstance(body.get(key), str) or not body[key]
        ]
        for key in ("unique_id", "creation_time", "mime_type"):
            if key in body and not isinstance(body[key], str):
                problems.append(f"{key} must be a string")
        for key in ("type_code", "class_code"):
            if key in body and not (isinstance(body[key], dict) and isinstance(body[key].get("code"), str)):
                problems.append(f"{key} must be an object with a string code")
        authors = body.get("authors", [])
        if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
            problems.append("authors must be a list of strings")
        if problems:
            return 400, {"error": "; ".join(problems)}
        try:
            data = base64.b64decode(body["content_base64"], validate=True)
        except (binascii.Error, ValueError):
            return 400, {"error": "content_base64 is not base64"}
        if len(data) > _MAX_SEEDED_BYTES:
            return 400, {"error": f"the document is larger than {_MAX_SEEDED_BYTES} bytes"}
        unique_id = str(body.get("unique_id") or f"2.25.{uuid.uuid4().int}")
        record = {
            "unique_id": unique_id,
            "patient_id": body["patient_id"],
            "confidentiality": [],
            "version": 1,
            "registered": time.time(),
            "source": "seeded",
            **self._listing(
                title=body["title"],
                type_code=body.get("type_code"),
                class_code=body.get("class_code"),
                creation_time=body.get("creation_time"),
                authors=authors[:10],
                mime_type=body.get("mime_type") or "text/xml",
                data=data,
            ),
        }
        with self._registry_lock:
            if unique_id in self._registry:
                return 409, {"error": f"uniqueId {unique_id!r} is already registered"}
            if len(self._registry) >= _MAX_REGISTRY:
                return 400, {"error": f"the registry holds {_MAX_REGISTRY} documents, its limit"}
            self._registry[unique_id] = record
            self._contents[unique_id] = data
        return 200, record

    @staticmethod
    def _listing(
        *,
        title: str,
        type_code: Any,
        class_code: Any,
        creation_time: Any,
        authors: list[str],
        mime_type: str,
        data: bytes,
    ) -> dict[str, Any]:
        """What a FindDocuments answer tells of a document besides its ids."""
        return {
            "entry_uuid": f"urn:uuid:{uuid.uuid4()}",
            "title": title[:500],
            "type_code": type_code,
            "class_code": class_code,
            "creation_time": creation_time,
            "authors": authors,
            "mime_type": mime_type,
            "size": len(data),
            "hash": hashlib.sha1(data).hexdigest(),
        }

    # ---- CDA validation ----------------------------------------------------------------
    def _validate_cda(self, root: etree._Element) -> dict[str, Any]:
        """The CDA against the CDA XSD of ``cda_material``, as JSON (``validated`` False when impossible).

        A DMP controls the structure of what it registers; conformance to the volet's
        CI-SIS schematron is for the checks to judge (with the harness's validator).
        """
        if self.cda_material is None:
            return {"validated": False, "reason": "no ANS CDA material configured: the CDA was not validated"}
        with self._validator_lock:
            try:
                if self._xsd is None:
                    xsd = self.cda_material / CDA_XSD
                    parser = etree.XMLParser(resolve_entities=False, no_network=True)
                    self._xsd = etree.XMLSchema(etree.parse(str(xsd), parser))
                valid = self._xsd.validate(root)
                errors = list(self._xsd.error_log)
            except (OSError, etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
                return {"validated": False, "reason": f"the CDA could not be validated: cannot load the CDA XSD: {exc}"}
        issues = [{"severity": "error", "source": "xsd", "line": e.line, "message": e.message} for e in errors]
        return {"validated": True, "valid": valid, "checked": "CDA XSD", "issues": issues[:_MAX_ISSUES]}

    # ---- protocol ----------------------------------------------------------------------
    def _handle(self, request: Request) -> Reply:
        record: dict[str, Any] = {"operation": "unknown", "http": request.http_summary(), "problems": []}
        message = None
        try:
            if request.headers.get("content-type", "").lower().startswith("multipart/"):
                message = parse_mtom(request.headers.get("content-type", ""), request.body)
                env = parse_envelope(message.root.data, what="the XDS request")
            else:
                env = parse_envelope(request.body, what="the XDS request")
        except SoapError as exc:
            record.update(outcome="fault", problems=[exc.reason])
            return self._fault(record, exc.reason, code=exc.code)
        record["envelope"] = sanitise_envelope(env.root)
        record["soap"] = {"action": env.action, "message_id": env.message_id}
        local = etree.QName(env.payload).localname
        if local == "ProvideAndRegisterDocumentSetRequest":
            record["operation"] = "provide_and_register"
            if message is None:
                reason = (
                    "a Provide and Register Document Set-b request is sent as MTOM/XOP (multipart/related),"
                    f" not as {request.headers.get('content-type', 'no Content-Type')!r}"
                )
                return self._refuse(record, reason)
            if env.action != ITI41_ACTION:
                return self._refuse(record, f"wsa:Action is {env.action!r}, expected {ITI41_ACTION}")
            return self._provide(env, message, record)
        if local == "AdhocQueryRequest":
            record["operation"] = "find_documents"
            if env.action != ITI18_ACTION:
                return self._refuse(record, f"wsa:Action is {env.action!r}, expected {ITI18_ACTION}")
            return self._find(env, record)
        if local == "RetrieveDocumentSetRequest":
            record["operation"] = "retrieve"
            if env.action != ITI43_ACTION:
                return self._refuse(record, f"wsa:Action is {env.action!r}, expected {ITI43_ACTION}")
            return self._retrieve(env, record)
        if local == "SubmitObjectsRequest":
            record["operation"] = "update"
            if env.action != ITI57_ACTION:
                return self._refuse(record, f"wsa:Action is {env.action!r}, expected {ITI57_ACTION}")
            return self._update(env, record)
        return self._refuse(record, f"unknown request {local!r}: this DMP answers ITI-41, ITI-57, ITI-18 and ITI-43")

    def _refuse(self, record: dict[str, Any], reason: str) -> Reply:
        record.update(outcome="fault", problems=[reason])
        return self._fault(record, reason)

    def _provide(self, env: Any, message: Any, record: dict[str, Any]) -> Reply:
        submission = parse_submission(env.payload)
        errors = check_submission(submission, self.accepted_ins_oids, self.value_sets)
        documents: list[dict[str, Any]] = []
        blobs: dict[str, bytes] = {}
        for n, entry in enumerate(submission.entries):
            data, problem = self._document_bytes(submission.documents, entry, message)
            doc_record: dict[str, Any] = summary(entry)
            if problem is not None:
                errors.append(problem)
                doc_record["missing"] = problem.context
                documents.append(doc_record)
                continue
            assert data is not None
            name = f"document-{n}"
            blobs[name] = data
            doc_record.update(blob=name, size=len(data), sha1=hashlib.sha1(data).hexdigest())
            errors += self._judge_document(entry, data, doc_record)
            documents.append(doc_record)
        with self._registry_lock:
            for doc in documents:
                if doc.get("unique_id") and doc["unique_id"] in self._registry:
                    errors.append(
                        RegistryError(
                            "XDSDuplicateUniqueIdInRegistry",
                            f"uniqueId {doc['unique_id']!r} is already registered",
                            doc["entry_id"],
                        )
                    )
            if not errors:
                for n, doc in enumerate(documents):
                    entry = submission.entries[n]
                    data = blobs.get(str(doc.get("blob")), b"")
                    types = entry.code("typeCode")
                    classes = entry.code("classCode")
                    self._registry[doc["unique_id"]] = {
                        "unique_id": doc["unique_id"],
                        "patient_id": doc["patient_id"],
                        "confidentiality": doc["confidentiality"],
                        "version": 1,
                        "registered": time.time(),
                        "source": "submitted",
                        **self._listing(
                            title=entry.title or "",
                            type_code=types[0].to_json() if types else None,
                            class_code=classes[0].to_json() if classes else None,
                            creation_time=entry.slot("creationTime"),
                            authors=[a for author in entry.authors for a in author.get("authorPerson", [])][:10],
                            mime_type=entry.mime_type or "text/xml",
                            data=data,
                        ),
                    }
                    self._contents[doc["unique_id"]] = data
        return self._respond(env, submission, errors, documents, record, blobs)

    def _find(self, env: Any, record: dict[str, Any]) -> Reply:
        """ITI-18 FindDocuments: the approved entries of one patient (by INS and its OID)."""
        query = parse_find_documents(env.payload, self.accepted_ins_oids)
        found: list[dict[str, Any]] = []
        if not query.errors:
            wanted = patient_key(query.patient_id)
            approved = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved" in query.statuses
            with self._registry_lock:
                found = [
                    dict(doc)
                    for doc in self._registry.values()
                    if approved and patient_key(str(doc.get("patient_id") or "")) == wanted
                ]
        body = find_response(query, found, action=ITI18_ACTION + "Response", relates_to=env.message_id)
        record.update(
            outcome="Failure" if query.errors else "Success",
            query=query.to_json(),
            errors=[e.to_json() for e in query.errors],
            results=[str(d["unique_id"]) for d in found],
            response_envelope=body.decode("utf-8")[: 256 * 1024],
        )
        self.log.add(record)
        return Reply(200, body)

    def _retrieve(self, env: Any, record: dict[str, Any]) -> Reply:
        """ITI-43: the documents asked for, as MTOM parts; a registry error for each one unknown."""
        retrieve = parse_retrieve(env.payload)
        found: list[tuple[dict[str, Any], bytes]] = []
        errors: list[RegistryError] = []
        with self._registry_lock:
            for repository, unique_id in retrieve.requests:
                doc = self._registry.get(unique_id)
                if repository != REPOSITORY_ID:
                    errors.append(
                        RegistryError(
                            "XDSUnknownRepositoryId",
                            f"repository {repository[:200]!r} is not this DMP's ({REPOSITORY_ID})",
                            unique_id[:200],
                        )
                    )
                elif doc is None or unique_id not in self._contents:
                    errors.append(
                        RegistryError(
                            "XDSDocumentUniqueIdError", f"document {unique_id[:200]!r} is not in the repository"
                        )
                    )
                else:
                    found.append((dict(doc), self._contents[unique_id]))
        ctype, body = retrieve_response(
            retrieve, found, errors, action=ITI43_ACTION + "Response", relates_to=env.message_id
        )
        all_errors = [*retrieve.errors, *errors]
        record.update(
            outcome="Success" if not all_errors else ("PartialSuccess" if found else "Failure"),
            requested=retrieve.to_json(),
            errors=[e.to_json() for e in all_errors],
            results=[str(doc["unique_id"]) for doc, _ in found],
        )
        self.log.add(record)
        return Reply(200, body, content_type=ctype)

    def _update(self, env: Any, record: dict[str, Any]) -> Reply:
        """ITI-57: new metadata for registered documents (e.g. the patient may now see them)."""
        submission = parse_submission(env.payload)
        errors = check_submission(submission, self.accepted_ins_oids, self.value_sets, update=True)
        documents = []
        for entry in submission.entries:
            doc_record = summary(entry)
            documents.append(doc_record)
            errors += check_document(
                entry, None, accepted_oids=self.accepted_ins_oids, value_sets=self.value_sets, cda_root=None
            )
        with self._registry_lock:
            for doc in documents:
                known = self._registry.get(doc.get("unique_id") or "")
                where = doc["entry_id"]
                if known is None:
                    errors.append(
                        RegistryError(
                            "XDSMetadataUpdateError", f"uniqueId {doc.get('unique_id')!r} is not in the registry", where
                        )
                    )
                    continue
                if doc.get("patient_id") != known["patient_id"]:
                    errors.append(
                        RegistryError(
                            "XDSPatientIdDoesNotMatch",
                            f"the update is for {doc.get('patient_id')!r}, the document for {known['patient_id']!r}",
                            where,
                        )
                    )
                previous = submission.previous_versions.get(where)
                if previous is not None and previous != str(known["version"]):
                    errors.append(
                        RegistryError(
                            "XDSMetadataVersionError",
                            f"PreviousVersion is {previous}, the registry holds version {known['version']}",
                            where,
                        )
                    )
            if not errors:
                for doc in documents:
                    known = self._registry[doc["unique_id"]]
                    known.update(confidentiality=doc["confidentiality"], version=known["version"] + 1)
        return self._respond(env, submission, errors, documents, record, {})

    def _respond(
        self,
        env: Any,
        submission: Any,
        errors: list[RegistryError],
        documents: list[dict[str, Any]],
        record: dict[str, Any],
        blobs: dict[str, bytes],
    ) -> Reply:
        status = SUCCESS if not errors else FAILURE
        submission_set = submission.submission_sets[0].to_json() if submission.submission_sets else None
        action = (ITI41_ACTION if record["operation"] == "provide_and_register" else ITI57_ACTION) + "Response"
        body = _registry_response(status, errors, action=action, relates_to=env.message_id)
        record.update(
            outcome="Success" if status == SUCCESS else "Failure",
            status=status,
            errors=[e.to_json() for e in errors],
            submission_set=submission_set,
            documents=documents,
            response_envelope=body.decode("utf-8"),
        )
        self.log.add(record, blobs)
        return Reply(200, body)

    def _document_bytes(
        self, documents: dict[str, str | None], entry: DocumentEntry, message: Any
    ) -> tuple[bytes | None, RegistryError | None]:
        if entry.id not in documents:
            return None, RegistryError(
                "XDSMissingDocument", f"DocumentEntry {entry.id!r} has no xds:Document", entry.id
            )
        href = documents[entry.id]
        if href is None:
            return None, RegistryError(
                "XDSMissingDocument",
                f"xds:Document {entry.id!r} carries no xop:Include: ITI-41 sends documents as MTOM parts",
                entry.id,
            )
        part = message.resolve(href)
        if part is None:
            return None, RegistryError(
                "XDSMissingDocument",
                f"xds:Document {entry.id!r} references {href[:200]!r}, a MIME part the message does not carry",
                entry.id,
            )
        return part.data, None

    def _judge_document(self, entry: DocumentEntry, data: bytes, doc_record: dict[str, Any]) -> list[RegistryError]:
        try:
            root = parse_xml(data, what="the document")
        except SoapError as exc:
            doc_record["cda"] = {"validated": True, "valid": False, "issues": [{"message": str(exc)}]}
            errors = check_document(
                entry, data, accepted_oids=self.accepted_ins_oids, value_sets=self.value_sets, cda_root=None
            )
            reason = f"the document is not a CDA: {exc.reason}"
            return [*errors, RegistryError("InvalidDocumentContent", reason, entry.id)]
        errors = check_document(
            entry, data, accepted_oids=self.accepted_ins_oids, value_sets=self.value_sets, cda_root=root
        )
        cda = self._validate_cda(root)
        doc_record["cda"] = cda
        if cda.get("validated") and not cda.get("valid"):
            first = "; ".join(
                f"{i.get('source') or ''} line {i.get('line')}: {i.get('message', '')}".strip()
                for i in cda.get("issues", [])[:3]
            )
            errors.append(
                RegistryError("InvalidDocumentContent", f"the CDA is not conformant: {first[:1000]}", entry.id)
            )
        return errors

    def _fault(self, record: dict[str, Any], reason: str, *, code: str = "Sender") -> Reply:
        action = {"update": ITI57_ACTION, "find_documents": ITI18_ACTION, "retrieve": ITI43_ACTION}.get(
            str(record.get("operation")), ITI41_ACTION
        )
        body = fault(reason, code=code, action=action + "Response")
        record["response_envelope"] = body.decode("utf-8")
        self.log.add(record)
        return Reply(400 if code in ("Sender", "VersionMismatch") else 500, body)


def _registry_response(status: str, errors: list[RegistryError], *, action: str, relates_to: str | None) -> bytes:
    env = etree.Element(f"{{{SOAP12_NS}}}Envelope", nsmap={"env": SOAP12_NS, "wsa": WSA_NS})
    header = etree.SubElement(env, f"{{{SOAP12_NS}}}Header")
    etree.SubElement(header, f"{{{WSA_NS}}}Action").text = action
    if relates_to:
        etree.SubElement(header, f"{{{WSA_NS}}}RelatesTo").text = relates_to
    body = etree.SubElement(env, f"{{{SOAP12_NS}}}Body")
    response = etree.SubElement(body, f"{{{RS_NS}}}RegistryResponse", nsmap={"rs": RS_NS}, status=status)
    registry_errors(response, errors)
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))
