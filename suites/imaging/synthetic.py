"""Synthetic instances the imaging checks store: tiny Secondary Capture images, new UIDs.

The STOW-RS check stores one; a run allowed to create data (`data_policy: create`) that names
no study stores a two-instance study for the query and retrieval checks (`queryable_study`).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from io import BytesIO

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

__all__ = ["SECONDARY_CAPTURE", "SyntheticInstance", "queryable_study", "synthetic_instance"]

SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"


@dataclass(frozen=True)
class SyntheticInstance:
    """The bytes sent and the UIDs to look for afterwards."""

    part10: bytes
    study_uid: str
    series_uid: str
    sop_uid: str
    patient_id: str


def synthetic_instance(
    *,
    study: str | None = None,
    series: str | None = None,
    patient_id: str | None = None,
    number: int = 1,
    description: str = "homolog STOW-RS check (synthetic)",
    accession: str | None = None,
) -> SyntheticInstance:
    """A 4x4 8-bit Secondary Capture with fresh 2.25 UIDs (or the study and series given)
    and a homolog patient id."""
    study = study or str(generate_uid(prefix="2.25."))
    series = series or str(generate_uid(prefix="2.25."))
    sop = str(generate_uid(prefix="2.25."))
    meta = FileMetaDataset()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.MediaStorageSOPClassUID = UID(SECONDARY_CAPTURE)
    meta.MediaStorageSOPInstanceUID = UID(sop)
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID, ds.SOPInstanceUID = SECONDARY_CAPTURE, sop
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
    ds.PatientName, ds.PatientID = "HOMOLOG^STOW", patient_id or f"HOMOLOG-{secrets.token_hex(6)}"
    ds.StudyDate = dt.date.today().strftime("%Y%m%d")
    ds.StudyDescription = description
    if accession:
        ds.AccessionNumber = accession
    ds.Modality, ds.ConversionType = "OT", "WSD"
    ds.SeriesNumber, ds.InstanceNumber = 1, number
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows = ds.Columns = 4
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = bytes(range(16))
    buf = BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return SyntheticInstance(buf.getvalue(), study, series, sop, ds.PatientID)


def queryable_study() -> list[SyntheticInstance]:
    """Two instances of one new study, with what the query checks match on (patient id and
    name, date, accession number, modality) and two instances to page through."""
    marker = secrets.token_hex(6)
    study, series = (str(generate_uid(prefix="2.25.")) for _ in range(2))
    return [
        synthetic_instance(
            study=study,
            series=series,
            patient_id=f"HOMOLOG-{marker}",
            number=number,
            description="homolog imaging checks (synthetic study, stored by the run)",
            accession=f"HL{marker[:8].upper()}",
        )
        for number in (1, 2)
    ]
