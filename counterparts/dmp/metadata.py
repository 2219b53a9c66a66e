"""XDS.b metadata (ebRIM 3.0) of a Provide and Register Document Set-b request, as data.

Only reading happens here: :mod:`.rules` judges. Identifiers, classifications and slots
are taken from the registry objects the IHE ITI Technical Framework (volume 3, 4.2.3)
defines; values are truncated to keep records bounded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

__all__ = [
    "CLASSIFICATION",
    "IDENTIFIER",
    "LCM_NS",
    "RIM_NS",
    "RS_NS",
    "XDS_NS",
    "Code",
    "DocumentEntry",
    "Submission",
    "SubmissionSet",
    "parse_submission",
]

XDS_NS = "urn:ihe:iti:xds-b:2007"
LCM_NS = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
RIM_NS = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
RS_NS = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0"
DOCUMENT_ENTRY_TYPE = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
SUBMISSION_SET_NODE = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
HAS_MEMBER = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"

CLASSIFICATION = {
    "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a": "classCode",
    "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f": "confidentialityCode",
    "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d": "formatCode",
    "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1": "healthcareFacilityTypeCode",
    "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead": "practiceSettingCode",
    "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983": "typeCode",
    "urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4": "eventCodeList",
    "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d": "author",
    "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d": "submissionSetAuthor",
    "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500": "contentTypeCode",
}
IDENTIFIER = {
    "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427": "patientId",
    "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab": "uniqueId",
    # SubmissionSet identifiers (their schemes differ from the DocumentEntry's).
    "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446": "patientId",
    "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832": "sourceId",
    "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8": "uniqueId",
}
_MAX = 500


def _text(value: str | None) -> str:
    return (value or "").strip()[:_MAX]


@dataclass(frozen=True)
class Code:
    """A coded classification: code, coding scheme, display name."""

    code: str
    scheme: str | None
    display: str | None

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "scheme": self.scheme, "display": self.display}


@dataclass
class _Object:
    id: str
    slots: dict[str, list[str]] = field(default_factory=dict)
    codes: dict[str, list[Code]] = field(default_factory=dict)
    identifiers: dict[str, str] = field(default_factory=dict)
    authors: list[dict[str, list[str]]] = field(default_factory=list)

    def slot(self, name: str) -> str | None:
        values = self.slots.get(name) or []
        return values[0] if values else None

    def code(self, name: str) -> list[Code]:
        return self.codes.get(name, [])


@dataclass
class DocumentEntry(_Object):
    """A DocumentEntry (ExtrinsicObject)."""

    mime_type: str | None = None
    title: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "mime_type": self.mime_type,
            "title": self.title,
            "slots": self.slots,
            "codes": {k: [c.to_json() for c in v] for k, v in self.codes.items()},
            "identifiers": self.identifiers,
            "authors": self.authors,
        }


@dataclass
class SubmissionSet(_Object):
    """The SubmissionSet (RegistryPackage classified as such)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "slots": self.slots,
            "codes": {k: [c.to_json() for c in v] for k, v in self.codes.items()},
            "identifiers": self.identifiers,
            "authors": self.authors,
        }


@dataclass
class Submission:
    """Everything read from the request: entries, submission sets, associations, documents."""

    entries: list[DocumentEntry]
    submission_sets: list[SubmissionSet]
    members: list[tuple[str, str]]  # HasMember (source, target)
    documents: dict[str, str | None]  # xds:Document id -> xop:Include href (None when inline)
    problems: list[str]
    previous_versions: dict[str, str] = field(default_factory=dict)  # entry id -> PreviousVersion (ITI-57)


def _rim(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if c.tag == f"{{{RIM_NS}}}{name}"]


def _slots(el: etree._Element) -> dict[str, list[str]]:
    slots: dict[str, list[str]] = {}
    for slot in _rim(el, "Slot")[:100]:
        values = [_text(v.text) for v in slot.iter(f"{{{RIM_NS}}}Value")][:50]
        slots[_text(slot.get("name"))] = values
    return slots


def _name(el: etree._Element) -> str | None:
    for name in _rim(el, "Name"):
        for ls in name.iter(f"{{{RIM_NS}}}LocalizedString"):
            return _text(ls.get("value"))
    return None


def _fill(obj: _Object, el: etree._Element) -> None:
    obj.slots = _slots(el)
    for cls in _rim(el, "Classification")[:100]:
        scheme = CLASSIFICATION.get(cls.get("classificationScheme") or "")
        if scheme in ("author", "submissionSetAuthor"):
            obj.authors.append(_slots(cls))
        elif scheme is not None:
            coding = _slots(cls).get("codingScheme") or []
            code = Code(_text(cls.get("nodeRepresentation")), coding[0] if coding else None, _name(cls))
            obj.codes.setdefault(scheme, []).append(code)
    for ext in _rim(el, "ExternalIdentifier")[:20]:
        name = IDENTIFIER.get(ext.get("identificationScheme") or "")
        if name is not None:
            obj.identifiers[name] = _text(ext.get("value"))


def parse_submission(payload: etree._Element) -> Submission:
    """Read a ``ProvideAndRegisterDocumentSetRequest`` (ITI-41) or a bare
    ``SubmitObjectsRequest`` (ITI-57 metadata update) element; never raises on content."""
    problems: list[str] = []
    if payload.tag == f"{{{LCM_NS}}}SubmitObjectsRequest":
        request: etree._Element | None = payload
    else:
        if payload.tag != f"{{{XDS_NS}}}ProvideAndRegisterDocumentSetRequest":
            problems.append(
                f"the SOAP body holds {etree.QName(payload).localname!r}, not ProvideAndRegisterDocumentSetRequest"
            )
        request = payload.find(f"{{{LCM_NS}}}SubmitObjectsRequest")
    objects = request.find(f"{{{RIM_NS}}}RegistryObjectList") if request is not None else None
    if objects is None:
        problems.append("no lcm:SubmitObjectsRequest/rim:RegistryObjectList in the request")
        objects = etree.Element("empty")
    ss_ids = {
        c.get("classifiedObject")
        for c in _rim(objects, "Classification")
        if c.get("classificationNode") == SUBMISSION_SET_NODE
    }
    entries: list[DocumentEntry] = []
    for eo in _rim(objects, "ExtrinsicObject")[:20]:
        entry = DocumentEntry(id=_text(eo.get("id")), mime_type=eo.get("mimeType"), title=_name(eo))
        if eo.get("objectType") != DOCUMENT_ENTRY_TYPE:
            problems.append(
                f"ExtrinsicObject {entry.id!r} has objectType {eo.get('objectType')!r}, not a DocumentEntry"
            )
        _fill(entry, eo)
        entries.append(entry)
    sets: list[SubmissionSet] = []
    for rp in _rim(objects, "RegistryPackage")[:5]:
        if rp.get("id") in ss_ids:
            ss = SubmissionSet(id=_text(rp.get("id")))
            _fill(ss, rp)
            sets.append(ss)
    members = []
    previous: dict[str, str] = {}
    for a in _rim(objects, "Association")[:50]:
        if a.get("associationType") == HAS_MEMBER:
            source, target = _text(a.get("sourceObject")), _text(a.get("targetObject"))
            members.append((source, target))
            versions = _slots(a).get("PreviousVersion") or []
            if versions:
                previous[target] = versions[0]
    documents: dict[str, str | None] = {}
    for doc in payload.findall(f"{{{XDS_NS}}}Document")[:20]:
        include = doc.find("{http://www.w3.org/2004/08/xop/include}Include")
        documents[_text(doc.get("id"))] = include.get("href") if include is not None else None
    return Submission(entries, sets, members, documents, problems, previous)
