"""How the simulated DMP judges a Provide and Register Document Set-b submission.

The rules paraphrase the DMP integration guide's profile of XDS.b: the patient is
identified by an INS under an INS OID (``NIR^^^&OID&ISO^NH``) and the documents' patient is
the submission's; each document carries a class, type, format, practice setting and
facility code from the CI-SIS value sets, a confidentiality code, an author identified by
idNatPS, the service start (and stop) time, a unique id equal to the CDA's id; the
submission set has a unique id, a source id and a submission time; the CDA document is
conformant (CDA XSD and its CI-SIS volet's schematron). Each broken rule is an error
with the code the IHE ITI Technical Framework defines (volume 3, table 4.2.4.1-2):

==================================  ============================================
``XDSRegistryMetadataError``        metadata missing or wrong
``XDSPatientIdDoesNotMatch``        documents and submission for different patients
``XDSUnknownPatientId``             patient id not an INS under an INS OID
``XDSMissingDocument``              metadata without its document (or MTOM part)
``XDSMissingDocumentMetadata``      a document without its DocumentEntry
``XDSDuplicateUniqueIdInRegistry``  a uniqueId the registry already holds
``XDSNonIdenticalHash`` / ``Size``  hash or size slot differs from the document
``InvalidDocumentContent``          the CDA is not conformant
==================================  ============================================
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from ..identifiers import idnatps_problems, idnatst_problems, nir_problems
from .metadata import DocumentEntry, Submission, SubmissionSet
from .valuesets import ValueSets

__all__ = [
    "CONFIDENTIALITY_DMP_SYSTEM",
    "IDNATPS_OID",
    "IDNATST_OID",
    "RegistryError",
    "cda_facts",
    "check_document",
    "check_submission",
    "parse_cx",
    "parse_dtm",
    "summary",
]

IDNATPS_OID = "1.2.250.1.71.4.2.1"
IDNATST_OID = "1.2.250.1.71.4.2.2"
CONFIDENTIALITY_DMP_SYSTEM = "1.2.250.1.213.1.1.4.13"
CDA_NS = "urn:hl7-org:v3"
_OID = re.compile(r"^[0-2](\.(0|[1-9][0-9]*))+$")
_DTM = re.compile(r"^[0-9]{4}([0-9]{2}([0-9]{2}([0-9]{2}([0-9]{2}([0-9]{2})?)?)?)?)?$")
_REQUIRED_CODES = (
    "classCode",
    "typeCode",
    "formatCode",
    "practiceSettingCode",
    "healthcareFacilityTypeCode",
    "confidentialityCode",
)


@dataclass(frozen=True)
class RegistryError:
    """One ``rs:RegistryError``: IHE error code, what is wrong (codeContext), where."""

    code: str
    context: str
    location: str = ""

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "context": self.context, "location": self.location}


def parse_cx(value: str) -> tuple[str, str | None, str | None]:
    """``ID^^^&OID&ISO^TYPE`` -> (id, assigning authority OID, identifier type code)."""
    comps = value.split("^")
    ident = comps[0]
    authority = comps[3] if len(comps) > 3 else ""
    sub = authority.split("&")
    oid = sub[1] if len(sub) > 2 and sub[2] == "ISO" else None
    return ident, oid, comps[4] if len(comps) > 4 and comps[4] else None


def parse_dtm(value: str) -> tuple[dt.datetime, int] | None:
    """An HL7 DTM (UTC, up to seconds) -> (instant, number of digits given), or None."""
    if not _DTM.match(value):
        return None
    padded = value + "0101000000"[len(value) - 4 :]  # missing month/day are 01, time 00
    try:
        return dt.datetime.strptime(padded, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC), len(value)
    except ValueError:
        return None


def _cda_ts(value: str) -> tuple[dt.datetime, int] | None:
    """An HL7 TS with an optional zone offset -> (UTC instant, digits given)."""
    m = re.match(r"^([0-9]{4,14})(?:\.[0-9]+)?([+-][0-9]{4})?$", value)
    if not m:
        return None
    parsed = parse_dtm(m.group(1))
    if parsed is None:
        return None
    moment, digits = parsed
    if m.group(2):
        sign = 1 if m.group(2)[0] == "+" else -1
        offset = dt.timedelta(hours=int(m.group(2)[1:3]), minutes=int(m.group(2)[3:5]))
        moment = moment - sign * offset
    return moment, digits


@dataclass
class CdaFacts:
    """What the metadata must agree with, read from the CDA header."""

    document_id: str | None = None
    code: tuple[str, str] | None = None
    patient_ids: list[tuple[str, str]] = field(default_factory=list)
    service_start: str | None = None
    service_stop: str | None = None
    facility: tuple[str, str] | None = None


def cda_facts(root: etree._Element) -> CdaFacts:
    """The CDA header values the DMP compares with the metadata."""
    ns = {"h": CDA_NS}
    facts = CdaFacts()
    ident = root.find("h:id", ns)
    if ident is not None and ident.get("root"):
        facts.document_id = ident.get("root", "") + (f"^{ident.get('extension')}" if ident.get("extension") else "")
    code = root.find("h:code", ns)
    if code is not None:
        facts.code = (code.get("code", ""), code.get("codeSystem", ""))
    for pid in root.findall("h:recordTarget/h:patientRole/h:id", ns):
        facts.patient_ids.append((pid.get("root", ""), pid.get("extension", "")))
    low = root.find("h:documentationOf/h:serviceEvent/h:effectiveTime/h:low", ns)
    high = root.find("h:documentationOf/h:serviceEvent/h:effectiveTime/h:high", ns)
    facts.service_start = low.get("value") if low is not None else None
    facts.service_stop = high.get("value") if high is not None else None
    fac = root.find("h:componentOf/h:encompassingEncounter/h:location/h:healthCareFacility/h:code", ns)
    if fac is not None:
        facts.facility = (fac.get("code", ""), fac.get("codeSystem", ""))
    return facts


def _same_instant(meta: str, cda: str | None) -> bool | None:
    """Whether an XDS DTM and a CDA TS name the same instant (at the coarser precision)."""
    a = parse_dtm(meta)
    b = _cda_ts(cda) if cda else None
    if a is None or b is None:
        return None
    digits = min(a[1], b[1])
    return a[0].strftime("%Y%m%d%H%M%S")[:digits] == b[0].strftime("%Y%m%d%H%M%S")[:digits]


def _author_errors(authors: list[dict[str, list[str]]], where: str, value_sets: ValueSets) -> list[RegistryError]:
    errors: list[RegistryError] = []
    persons = [p for a in authors for p in a.get("authorPerson", [])]
    if not persons:
        return [RegistryError("XDSRegistryMetadataError", f"{where}: no author with an authorPerson", where)]
    for person in persons:
        ident, oid, _ = _xcn(person)
        if oid != IDNATPS_OID:
            errors.append(
                RegistryError(
                    "XDSRegistryMetadataError",
                    f"{where}: authorPerson {person!r} is not identified by an idNatPS (OID {IDNATPS_OID})",
                    where,
                )
            )
            continue
        problems = idnatps_problems(ident)
        if problems:
            errors.append(
                RegistryError(
                    "XDSRegistryMetadataError",
                    f"{where}: authorPerson idNatPS {ident!r} is invalid: {'; '.join(problems)}",
                    where,
                )
            )
    for author in authors:
        for inst in author.get("authorInstitution", []):
            comps = inst.split("^")
            authority = comps[5].split("&") if len(comps) > 5 else []
            if len(authority) > 1 and authority[1] == IDNATST_OID:
                problems = idnatst_problems(comps[9] if len(comps) > 9 else "")
                if problems:
                    errors.append(
                        RegistryError(
                            "XDSRegistryMetadataError",
                            f"{where}: authorInstitution idNatSt is invalid: {'; '.join(problems)}",
                            where,
                        )
                    )
        for spec in author.get("authorSpecialty", []):
            comps = spec.split("^")
            reason = value_sets.check("authorSpecialty", comps[0], comps[2] if len(comps) > 2 else "")
            if reason:
                errors.append(RegistryError("XDSRegistryMetadataError", f"{where}: {reason}", where))
    return errors


def _xcn(value: str) -> tuple[str, str | None, str | None]:
    """XCN ``ID^FAMILY^GIVEN^^^^^^&OID&ISO^...`` -> (id, assigning authority OID, None)."""
    comps = value.split("^")
    authority = comps[8].split("&") if len(comps) > 8 else []
    oid = authority[1] if len(authority) > 2 and authority[2] == "ISO" else None
    return comps[0], oid, None


def check_patient_id(value: str | None, where: str, accepted_oids: frozenset[str]) -> list[RegistryError]:
    """The patient id must be a valid INS (key checked) under an accepted INS OID."""
    if not value:
        return [RegistryError("XDSRegistryMetadataError", f"{where}: patientId is missing", where)]
    ident, oid, _ = parse_cx(value)
    if oid not in accepted_oids:
        return [
            RegistryError(
                "XDSUnknownPatientId",
                f"{where}: patientId {value!r} is not under an INS OID (got {oid!r}, expected one of"
                f" {', '.join(sorted(accepted_oids))})",
                where,
            )
        ]
    problems = nir_problems(ident)
    if problems:
        return [
            RegistryError(
                "XDSUnknownPatientId", f"{where}: patientId {ident!r} is not a valid INS: {'; '.join(problems)}"
            )
        ]
    return []


def check_submission(
    submission: Submission, accepted_oids: frozenset[str], value_sets: ValueSets, *, update: bool = False
) -> list[RegistryError]:
    """Rules on the submission set, the associations and the document/entry pairing."""
    errors = [RegistryError("XDSRegistryMetadataError", p) for p in submission.problems]
    if len(submission.submission_sets) != 1:
        errors.append(
            RegistryError(
                "XDSRegistryMetadataError",
                f"the request holds {len(submission.submission_sets)} SubmissionSet(s), expected exactly one",
            )
        )
    if not submission.entries:
        errors.append(RegistryError("XDSRegistryMetadataError", "the request holds no DocumentEntry"))
    for ss in submission.submission_sets[:1]:
        errors += _check_submission_set(ss, accepted_oids, value_sets)
        for entry in submission.entries:
            if (ss.id, entry.id) not in submission.members:
                errors.append(
                    RegistryError(
                        "XDSRegistryMetadataError",
                        f"no HasMember association links SubmissionSet {ss.id!r} to DocumentEntry {entry.id!r}",
                        entry.id,
                    )
                )
            pid = entry.identifiers.get("patientId")
            if pid and ss.identifiers.get("patientId") and pid != ss.identifiers["patientId"]:
                errors.append(
                    RegistryError(
                        "XDSPatientIdDoesNotMatch",
                        f"DocumentEntry {entry.id!r} is for {pid!r} but the SubmissionSet for"
                        f" {ss.identifiers['patientId']!r}",
                        entry.id,
                    )
                )
    if update:
        for entry in submission.entries:
            if entry.id not in submission.previous_versions:
                errors.append(
                    RegistryError(
                        "XDSMetadataUpdateError",
                        f"the HasMember association of DocumentEntry {entry.id!r} has no PreviousVersion slot",
                        entry.id,
                    )
                )
        return errors
    entry_ids = {e.id for e in submission.entries}
    for entry in submission.entries:
        if entry.id not in submission.documents:
            errors.append(
                RegistryError("XDSMissingDocument", f"DocumentEntry {entry.id!r} has no xds:Document", entry.id)
            )
    for doc_id in submission.documents:
        if doc_id not in entry_ids:
            errors.append(
                RegistryError("XDSMissingDocumentMetadata", f"xds:Document {doc_id!r} has no DocumentEntry", doc_id)
            )
    return errors


def _check_submission_set(ss: SubmissionSet, accepted: frozenset[str], value_sets: ValueSets) -> list[RegistryError]:
    where = f"SubmissionSet {ss.id!r}"
    errors = check_patient_id(ss.identifiers.get("patientId"), where, accepted)
    for name in ("uniqueId", "sourceId"):
        value = ss.identifiers.get(name)
        if not value:
            errors.append(RegistryError("XDSRegistryMetadataError", f"{where}: {name} is missing", ss.id))
        elif not _OID.match(value):
            errors.append(RegistryError("XDSRegistryMetadataError", f"{where}: {name} {value!r} is not an OID", ss.id))
    submitted = ss.slot("submissionTime")
    if not submitted or parse_dtm(submitted) is None:
        errors.append(
            RegistryError(
                "XDSRegistryMetadataError", f"{where}: submissionTime {submitted!r} is missing or not a DTM", ss.id
            )
        )
    if not ss.code("contentTypeCode"):
        errors.append(RegistryError("XDSRegistryMetadataError", f"{where}: contentTypeCode is missing", ss.id))
    errors += _author_errors(ss.authors, where, value_sets)
    return errors


def check_document(
    entry: DocumentEntry,
    data: bytes | None,
    *,
    accepted_oids: frozenset[str],
    value_sets: ValueSets,
    cda_root: etree._Element | None,
) -> list[RegistryError]:
    """Rules on one DocumentEntry and its document (``data`` None for a metadata update,
    ``cda_root`` None when there is no readable CDA)."""
    where = f"DocumentEntry {entry.id!r}"
    errors = check_patient_id(entry.identifiers.get("patientId"), where, accepted_oids)
    if not entry.slot("sourcePatientId"):
        errors.append(RegistryError("XDSRegistryMetadataError", f"{where}: sourcePatientId is missing", entry.id))
    if entry.mime_type != "text/xml":
        errors.append(
            RegistryError(
                "XDSRegistryMetadataError", f"{where}: mimeType is {entry.mime_type!r}, a CDA is text/xml", entry.id
            )
        )
    for name in _REQUIRED_CODES:
        codes = entry.code(name)
        if not codes:
            errors.append(RegistryError("XDSRegistryMetadataError", f"{where}: {name} is missing", entry.id))
            continue
        if name != "confidentialityCode" and len(codes) > 1:
            errors.append(
                RegistryError("XDSRegistryMetadataError", f"{where}: {name} is given {len(codes)} times", entry.id)
            )
        for code in codes:
            reason = value_sets.check(name, code.code, code.scheme or "")
            if reason:
                errors.append(RegistryError("XDSRegistryMetadataError", f"{where}: {reason}", entry.id))
    errors += _author_errors(entry.authors, where, value_sets)
    for name in ("creationTime", "serviceStartTime"):
        value = entry.slot(name)
        if not value or parse_dtm(value) is None:
            errors.append(
                RegistryError(
                    "XDSRegistryMetadataError", f"{where}: {name} {value!r} is missing or not a DTM", entry.id
                )
            )
    start, stop = entry.slot("serviceStartTime"), entry.slot("serviceStopTime")
    if stop is not None:
        parsed_stop, parsed_start = parse_dtm(stop), parse_dtm(start or "")
        if parsed_stop is None:
            errors.append(RegistryError("XDSRegistryMetadataError", f"{where}: serviceStopTime {stop!r} is not a DTM"))
        elif parsed_start is not None and parsed_stop[0] < parsed_start[0]:
            errors.append(
                RegistryError(
                    "XDSRegistryMetadataError", f"{where}: serviceStopTime {stop} is before serviceStartTime {start}"
                )
            )
    size, digest = entry.slot("size"), entry.slot("hash")
    if data is None:  # a metadata update (ITI-57) carries no document
        size = digest = None
    if size is not None and data is not None and size != str(len(data)):
        errors.append(
            RegistryError("XDSNonIdenticalSize", f"{where}: size slot {size} but the document is {len(data)} bytes")
        )
    if digest is not None and data is not None and digest.lower() != hashlib.sha1(data).hexdigest():
        errors.append(RegistryError("XDSNonIdenticalHash", f"{where}: hash slot differs from the document's SHA-1"))
    unique = entry.identifiers.get("uniqueId")
    if not unique:
        errors.append(RegistryError("XDSRegistryMetadataError", f"{where}: uniqueId is missing", entry.id))
    if cda_root is not None:
        errors += _against_cda(entry, cda_facts(cda_root), where)
    return errors


def _against_cda(entry: DocumentEntry, facts: CdaFacts, where: str) -> list[RegistryError]:
    errors: list[RegistryError] = []
    unique = entry.identifiers.get("uniqueId")
    if unique and facts.document_id and unique.upper() != facts.document_id.upper():
        errors.append(
            RegistryError(
                "XDSRegistryMetadataError",
                f"{where}: uniqueId {unique!r} differs from the CDA id {facts.document_id!r}",
                entry.id,
            )
        )
    # The type and the facility are stated twice: in the metadata and in the CDA header.
    for name, in_cda in (("typeCode", facts.code), ("healthcareFacilityTypeCode", facts.facility)):
        codes = entry.code(name)
        if codes and in_cda and (codes[0].code, codes[0].scheme) != in_cda:
            errors.append(
                RegistryError(
                    "XDSRegistryMetadataError",
                    f"{where}: {name} {codes[0].code!r} ({codes[0].scheme}) differs from the CDA's"
                    f" {in_cda[0]!r} ({in_cda[1]})",
                    entry.id,
                )
            )
    pid = entry.identifiers.get("patientId")
    if pid:
        ident, oid, _ = parse_cx(pid)
        if (oid or "", ident) not in facts.patient_ids:
            errors.append(
                RegistryError(
                    "XDSPatientIdDoesNotMatch",
                    f"{where}: patientId {pid!r} is not the CDA patient (recordTarget ids:"
                    f" {', '.join(f'{r}/{e}' for r, e in facts.patient_ids) or 'none'})",
                    entry.id,
                )
            )
    for name, cda_value in (("serviceStartTime", facts.service_start), ("serviceStopTime", facts.service_stop)):
        meta_value = entry.slot(name)
        if meta_value is None or cda_value is None:
            continue
        same = _same_instant(meta_value, cda_value)
        if same is False:
            errors.append(
                RegistryError(
                    "XDSRegistryMetadataError",
                    f"{where}: {name} {meta_value} is not the clinical date of the document"
                    f" (serviceEvent effectiveTime {cda_value}, in UTC)",
                    entry.id,
                )
            )
    if entry.slot("serviceStartTime") and facts.service_start is None:
        errors.append(
            RegistryError(
                "InvalidDocumentContent",
                f"{where}: the CDA has no documentationOf/serviceEvent/effectiveTime/low for serviceStartTime",
                entry.id,
            )
        )
    return errors


def summary(entry: DocumentEntry) -> dict[str, Any]:
    """The metadata of an entry, flattened for the exchange record."""
    return {
        "entry_id": entry.id,
        "unique_id": entry.identifiers.get("uniqueId"),
        "patient_id": entry.identifiers.get("patientId"),
        "confidentiality": [c.to_json() for c in entry.code("confidentialityCode")],
        "codes": {n: [c.to_json() for c in entry.code(n)] for n in _REQUIRED_CODES},
        "service_start": entry.slot("serviceStartTime"),
        "service_stop": entry.slot("serviceStopTime"),
        "creation_time": entry.slot("creationTime"),
        "authors": entry.authors,
    }
