"""Reading an IHE XDM archive (the ``IHE_XDM.ZIP`` of an MSSanté message) without trusting it.

IHE ITI XDM lays a submission out as a zip: ``INDEX.HTM`` and ``README.TXT`` at the root,
then ``IHE_XDM/<subset>/`` per submission set, holding ``METADATA.XML`` (an ebRIM
``SubmitObjectsRequest``) and the documents it references by their ``URI`` slot. The
French profile puts the patient's INS in the ``patientId`` of the metadata as an HL7 CX
value ``<INS>^^^&<INS OID>&ISO^NH``.

Nothing is extracted to disk: entries are read into memory under size, count and ratio
limits, names are judged (never used as paths), XML is parsed without DTD, entities or
network, and a DOCTYPE is refused outright.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .findings import Aspect, Finding

__all__ = [
    "INS_OIDS",
    "CdaFacts",
    "XdmArchive",
    "XdmDocument",
    "XdmLimits",
    "cda_facts",
    "parse_cx",
    "read_xdm",
    "safe_xml",
]

CDA_NS = "urn:hl7-org:v3"
RIM_NS = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
LCM_NS = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
# IHE ITI TF-3 identification schemes of the XDS metadata.
DOC_PATIENT_ID = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
DOC_UNIQUE_ID = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
SET_PATIENT_ID = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"
SET_UNIQUE_ID = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
#: INS-NIR, INS-NIA, test NIR, demo NIR (the obsolete INS-C 1.2.250.1.213.1.4.2 is not one).
INS_OIDS: tuple[str, ...] = (
    "1.2.250.1.213.1.4.8",
    "1.2.250.1.213.1.4.9",
    "1.2.250.1.213.1.4.10",
    "1.2.250.1.213.1.4.11",
)


@dataclass(frozen=True)
class XdmLimits:
    """Bounds on what is read from an archive (a zip bomb stops at the first one it hits)."""

    max_entries: int = 256
    max_entry_bytes: int = 10 * 1024 * 1024
    max_total_bytes: int = 24 * 1024 * 1024
    # Deflate reaches ~1000:1 on a run of zeros; real documents stay far below 100:1.
    max_ratio: float = 100.0
    ratio_floor: int = 64 * 1024  # small entries may compress as they like


def safe_xml(data: bytes, what: str, *, aspect: Aspect = "xdm") -> tuple[etree._Element | None, Finding | None]:
    """Parse untrusted XML: no DTD, no entities, no network; a DOCTYPE is refused."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return None, Finding(aspect, "xml-malformed", f"{what} is not well-formed XML: {exc}")
    if root.getroottree().docinfo.doctype:
        # XXE and entity bombs travel in the DTD; no metadata or CDA document needs one.
        return None, Finding(aspect, "xml-doctype", f"{what} declares a DOCTYPE: DTDs and entities are refused")
    return root, None


def parse_cx(value: str) -> tuple[str, str | None]:
    """``ID^^^&OID&ISO^TYPE`` → (ID, OID or None)."""
    parts = value.split("^")
    ident = parts[0].strip()
    oid = None
    if len(parts) > 3:
        sub = parts[3].split("&")
        if len(sub) > 1 and sub[1].strip():
            oid = sub[1].strip()
    return ident, oid


@dataclass(frozen=True)
class CdaFacts:
    """What the MSSanté rules need from a CDA header."""

    code: str | None
    template_ids: tuple[str, ...]
    ins: str | None  # extension of the patientRole/id carrying an INS OID
    ins_oid: str | None
    other_ids: tuple[tuple[str, str], ...]  # (root, extension) of the other patientRole ids
    traits: dict[str, bool]
    qualified: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "code": self.code,
            "template_ids": list(self.template_ids),
            "ins": self.ins,
            "ins_oid": self.ins_oid,
            "other_ids": [list(p) for p in self.other_ids],
            "traits": dict(self.traits),
            "qualified": self.qualified,
        }


def cda_facts(root: etree._Element, *, ins_oids: tuple[str, ...] = INS_OIDS) -> CdaFacts:
    """Code, templateIds, INS and the four identity traits of a parsed ClinicalDocument.

    A *qualified INS* in the sense of the MSSanté client referential: the document carries
    the INS with an INS OID and the birth name, first birth given name, birth date and sex.
    """
    ns = {"h": CDA_NS}
    code_el = root.find("h:code", ns)
    code = code_el.get("code") if code_el is not None else None
    templates = tuple(t.get("root") or "" for t in root.findall("h:templateId", ns))
    role = root.find("h:recordTarget/h:patientRole", ns)
    ins = ins_oid = None
    others: list[tuple[str, str]] = []
    traits = {"birth_name": False, "first_given_name": False, "birth_date": False, "sex": False}
    if role is not None:
        for ident in role.findall("h:id", ns):
            root_oid, ext = ident.get("root") or "", ident.get("extension") or ""
            if root_oid in ins_oids and ext and ins is None:
                ins, ins_oid = ext, root_oid
            else:
                others.append((root_oid, ext))
        person = role.find("h:patient", ns)
        if person is not None:
            families = person.findall("h:name/h:family", ns)
            givens = person.findall("h:name/h:given", ns)
            traits["birth_name"] = any((f.text or "").strip() and f.get("qualifier") == "BR" for f in families)
            traits["first_given_name"] = any((g.text or "").strip() for g in givens)
            birth = person.find("h:birthTime", ns)
            traits["birth_date"] = birth is not None and bool(birth.get("value"))
            sex = person.find("h:administrativeGenderCode", ns)
            traits["sex"] = sex is not None and bool(sex.get("code"))
    return CdaFacts(
        code=code,
        template_ids=templates,
        ins=ins,
        ins_oid=ins_oid,
        other_ids=tuple(others),
        traits=traits,
        qualified=ins is not None and all(traits.values()),
    )


@dataclass
class XdmDocument:
    """A document found in the archive, with its metadata entry when there is one."""

    path: str
    content: bytes
    subset: str
    mime_type: str | None = None
    entry_id: str | None = None
    patient_id: str | None = None
    unique_id: str | None = None
    cda: CdaFacts | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the content itself is served separately)."""
        return {
            "path": self.path,
            "subset": self.subset,
            "size": len(self.content),
            "sha256": hashlib.sha256(self.content).hexdigest(),
            "mime_type": self.mime_type,
            "entry_id": self.entry_id,
            "patient_id": self.patient_id,
            "unique_id": self.unique_id,
            "cda": None if self.cda is None else self.cda.to_dict(),
        }


@dataclass
class XdmArchive:
    """What was read from one archive, and what was wrong with it."""

    entries: list[str] = field(default_factory=list)
    subsets: list[str] = field(default_factory=list)
    metadata: dict[str, bool] = field(default_factory=dict)  # subset -> METADATA.XML present
    submission_patient_ids: list[str] = field(default_factory=list)
    documents: list[XdmDocument] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "entries": list(self.entries),
            "subsets": list(self.subsets),
            "metadata": dict(self.metadata),
            "submission_patient_ids": list(self.submission_patient_ids),
            "documents": [d.to_dict() for d in self.documents],
        }


def _bad_name(name: str) -> str | None:
    """Why an entry name could escape an extraction folder (None when it could not)."""
    if "\x00" in name:
        return "contains a NUL character"
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "is an absolute path"
    if "\\" in name:
        return "uses backslashes"
    if any(part == ".." for part in name.split("/")):
        return "climbs out of the archive with '..'"
    return None


def _read_entries(data: bytes, limits: XdmLimits, out: XdmArchive) -> dict[str, bytes] | None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        out.findings.append(Finding("xdm", "zip-invalid", f"IHE_XDM.ZIP is not a readable zip archive: {exc}"))
        return None
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_entries:
            out.findings.append(
                Finding(
                    "xdm", "zip-too-many-entries", f"the archive has {len(infos)} entries (limit {limits.max_entries})"
                )
            )
            return None
        files: dict[str, bytes] = {}
        total = 0
        for info in infos:
            name = info.filename
            out.entries.append(name)
            why = _bad_name(name)
            if why is not None:
                out.findings.append(Finding("xdm", "zip-path-traversal", f"entry {name!r} {why}"))
                continue
            if info.is_dir():
                continue
            if info.file_size > limits.max_entry_bytes or total + info.file_size > limits.max_total_bytes:
                out.findings.append(
                    Finding(
                        "xdm",
                        "zip-bomb",
                        f"entry {name!r} expands to {info.file_size} bytes: above the archive limits"
                        f" ({limits.max_entry_bytes} per entry, {limits.max_total_bytes} in all); not read",
                    )
                )
                return None
            if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
                out.findings.append(
                    Finding(
                        "xdm",
                        "zip-bomb",
                        f"entry {name!r} expands {info.file_size // max(info.compress_size, 1)}:1"
                        f" (limit {limits.max_ratio:.0f}:1); not read",
                    )
                )
                return None
            try:
                # The declared size may lie: read at most one byte past it and compare.
                with zf.open(info) as fh:
                    content = fh.read(info.file_size + 1)
            except (zipfile.BadZipFile, RuntimeError, ValueError, OSError, EOFError, NotImplementedError) as exc:
                out.findings.append(Finding("xdm", "zip-invalid", f"entry {name!r} cannot be read: {exc}"))
                continue
            except Exception as exc:  # zlib.error and friends: a corrupt stream is the sender's fault
                out.findings.append(Finding("xdm", "zip-invalid", f"entry {name!r} cannot be read: {exc}"))
                continue
            if len(content) > info.file_size:
                out.findings.append(Finding("xdm", "zip-bomb", f"entry {name!r} inflates past its declared size"))
                return None
            total += len(content)
            files[name] = content
        return files


def _slot(obj: etree._Element, name: str) -> list[str]:
    return [
        (v.text or "").strip()
        for s in obj.findall(f"{{{RIM_NS}}}Slot")
        if s.get("name") == name
        for v in s.findall(f"{{{RIM_NS}}}ValueList/{{{RIM_NS}}}Value")
    ]


def _external_id(obj: etree._Element, scheme: str) -> str | None:
    for ext in obj.findall(f"{{{RIM_NS}}}ExternalIdentifier"):
        if ext.get("identificationScheme") == scheme:
            return (ext.get("value") or "").strip() or None
    return None


def _casefold_lookup(files: dict[str, bytes], path: str) -> str | None:
    if path in files:
        return path
    wanted = path.casefold()
    for name in files:
        if name.casefold() == wanted:
            return name
    return None


def _read_metadata(
    subset: str, meta: bytes, files: dict[str, bytes], out: XdmArchive, ins_oids: tuple[str, ...]
) -> None:
    where = f"{subset}/METADATA.XML"
    root, problem = safe_xml(meta, where)
    if problem is not None:
        out.findings.append(problem)
        return
    assert root is not None
    if root.tag != f"{{{LCM_NS}}}SubmitObjectsRequest":
        out.findings.append(
            Finding(
                "xdm",
                "metadata-root",
                f"{where}: root element is {etree.QName(root).text}, expected lcm:SubmitObjectsRequest",
            )
        )
        return
    objects = root.find(f"{{{RIM_NS}}}RegistryObjectList")
    if objects is None:
        out.findings.append(Finding("xdm", "metadata-empty", f"{where} has no rim:RegistryObjectList"))
        return
    packages = objects.findall(f"{{{RIM_NS}}}RegistryPackage")
    if not packages:
        out.findings.append(
            Finding("xdm", "metadata-no-submission-set", f"{where} has no submission set (RegistryPackage)")
        )
    for package in packages:
        if _external_id(package, SET_UNIQUE_ID) is None:
            out.findings.append(Finding("xdm", "metadata-no-unique-id", f"{where}: the submission set has no uniqueId"))
        pid = _external_id(package, SET_PATIENT_ID)
        if pid is not None:
            out.submission_patient_ids.append(pid)
    entries = objects.findall(f"{{{RIM_NS}}}ExtrinsicObject")
    if not entries:
        out.findings.append(Finding("xdm", "metadata-no-document", f"{where} describes no document (ExtrinsicObject)"))
    for entry in entries:
        entry_id = entry.get("id") or "?"
        uris = _slot(entry, "URI")
        if not uris:
            out.findings.append(
                Finding("xdm", "metadata-no-uri", f"{where}: document entry {entry_id} has no URI slot")
            )
            continue
        # The URI is relative to the subset folder; some writers give the path from the root.
        uri = uris[0]
        found = _casefold_lookup(files, f"{subset}/{uri}") or _casefold_lookup(files, uri)
        if found is None:
            out.findings.append(
                Finding("xdm", "document-missing", f"{where}: document entry {entry_id} points to {uri!r}, absent")
            )
            continue
        content = files[found]
        hashes, sizes = _slot(entry, "hash"), _slot(entry, "size")
        if hashes and hashes[0].lower() != hashlib.sha1(content).hexdigest():
            out.findings.append(Finding("xdm", "hash-mismatch", f"{found}: the hash slot does not match the file"))
        if sizes and sizes[0] != str(len(content)):
            out.findings.append(
                Finding(
                    "xdm", "size-mismatch", f"{found}: size slot says {sizes[0]}, the file has {len(content)} bytes"
                )
            )
        if _external_id(entry, DOC_UNIQUE_ID) is None:
            out.findings.append(
                Finding("xdm", "metadata-no-unique-id", f"{where}: document entry {entry_id} has no uniqueId")
            )
        out.documents.append(
            XdmDocument(
                path=found,
                content=content,
                subset=subset,
                mime_type=entry.get("mimeType"),
                entry_id=entry_id,
                patient_id=_external_id(entry, DOC_PATIENT_ID),
                unique_id=_external_id(entry, DOC_UNIQUE_ID),
            )
        )


def read_xdm(data: bytes, *, limits: XdmLimits | None = None, ins_oids: tuple[str, ...] = INS_OIDS) -> XdmArchive:
    """Read and judge an ``IHE_XDM.ZIP``; problems are findings, nothing raises."""
    limits = limits or XdmLimits()
    out = XdmArchive()
    files = _read_entries(data, limits, out)
    if files is None:
        return out
    names = {n.casefold() for n in files}
    for required in ("INDEX.HTM", "README.TXT"):
        if required.casefold() not in names:
            out.findings.append(
                Finding("xdm", f"missing-{required.split('.')[0].lower()}", f"no {required} at the root")
            )
    subsets = sorted(
        {
            n.split("/")[1]
            for n in files
            if n.casefold().startswith("ihe_xdm/") and n.count("/") >= 2 and n.split("/")[1]
        }
    )
    out.subsets = [f"IHE_XDM/{s}" for s in subsets]
    if not subsets:
        out.findings.append(Finding("xdm", "no-subset", "no IHE_XDM/<subset>/ folder in the archive"))
    for subset in out.subsets:
        meta_name = _casefold_lookup(files, f"{subset}/METADATA.XML")
        out.metadata[subset] = meta_name is not None
        if meta_name is None:
            out.findings.append(Finding("xdm", "missing-metadata", f"{subset}/ has no METADATA.XML"))
            # Without metadata the documents are still found, so the CDA can be judged.
            for name, content in files.items():
                if name.startswith(subset + "/") and name.casefold().endswith(".xml"):
                    out.documents.append(XdmDocument(path=name, content=content, subset=subset))
            continue
        _read_metadata(subset, files[meta_name], files, out, ins_oids)
    for doc in out.documents:
        root, problem = safe_xml(doc.content, doc.path)
        if problem is not None:
            out.findings.append(problem)
            continue
        assert root is not None
        if root.tag == f"{{{CDA_NS}}}ClinicalDocument":
            doc.cda = cda_facts(root, ins_oids=ins_oids)
    return out
