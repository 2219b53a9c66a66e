"""Sample MSSanté messages for the simulator's and the checks' tests (built with the reference DPI's code)."""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from homolog.fixtures.refsut.cda import build_document
from homolog.fixtures.refsut.mss import build_message, build_xdm, metadata_xml

SENDER = "dpi@ch-demo.homolog.mssante.fr"
RECIPIENT = "paul.generaliste@medecin.mssante.fr"
INS, INS_OID = "279035121518989", "1.2.250.1.213.1.4.10"
PATIENT: dict[str, Any] = {
    "id": "pat-qual",
    "ins": INS,
    "ins_oid": INS_OID,
    "status": "QUAL",
    "birth_name": "ZOLA",
    "birth_given_names": ["Lise", "Marie"],
    "used_name": None,
    "sex": "F",
    "birth_date": "1979-03-28",
    "birth_place_insee": "51215",
}
AUTHOR = {"idnatps": "810000000009", "family": "MARTIN", "given": "Bernard", "profession_code": "10"}
CUSTODIAN = {"idnatst": "1750000002", "name": "Centre hospitalier de démonstration homolog"}


def cda(**patient: Any) -> bytes:
    """An LDL-SES document for the qualified patient (fields overridable)."""
    return build_document("LDL-SES", patient={**PATIENT, **patient}, author=AUTHOR, custodian=CUSTODIAN)


def metadata(content: bytes, *, patient_id: str = f"{INS}^^^&{INS_OID}&ISO^NH") -> bytes:
    """METADATA.XML for DOC0001.XML."""
    return metadata_xml(
        file_name="DOC0001.XML",
        content=content,
        patient_id=patient_id,
        local_id="pat-qual^^^&1.2.3&ISO^PI",
        type_code=("11490-0", "2.16.840.1.113883.6.1", "Lettre de liaison"),
        format_code="urn:asip:ci-sis:ldl-ses",
    )


def xdm(content: bytes | None = None, *, with_metadata: bool = True, patient_id: str | None = None) -> bytes:
    """A well-formed IHE_XDM.ZIP around one CDA (``patient_id``: the metadata's, INS by default)."""
    doc = content if content is not None else cda()
    meta = metadata(doc, **({"patient_id": patient_id} if patient_id else {})) if with_metadata else None
    return build_xdm(doc, meta, title="Lettre de liaison")


def xxe_archive(secret: Path) -> bytes:
    """An archive whose METADATA.XML declares an external entity reading ``secret``."""
    doc = cda()
    meta = (
        metadata(doc)
        .replace(
            b"<lcm:SubmitObjectsRequest",
            f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>\n<lcm:SubmitObjectsRequest'.encode(),
            1,
        )
        .replace(b"fr-FR", b"&x;", 1)
    )
    return zip_of({"INDEX.HTM": b"x", "README.TXT": b"x", "IHE_XDM/S/METADATA.XML": meta, "IHE_XDM/S/DOC.XML": doc})


def zip_of(entries: dict[str, bytes]) -> bytes:
    """A zip with exactly these entries (names kept as given)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def message(
    archive: bytes | None = None,
    *,
    headers: dict[str, str] | None = None,
    sender: str = SENDER,
    recipient: str = RECIPIENT,
) -> EmailMessage:
    """A letter as the reference DPI writes it (headers default to the right X-MSS-* values)."""
    return build_message(
        sender=sender,
        recipient=recipient,
        recipient_name="Dr Paul GENERALISTE",
        subject="XDM/1.0/DDM+Lettre de liaison",
        body="Bonjour,\n",
        xdm=archive if archive is not None else xdm(),
        headers=headers
        if headers is not None
        else {"X-MSS-NIL": "HOMOLOG-TEST-1", "X-MSS-INS": "O", "X-MSS-CODECDA": "11490-0"},
    )
