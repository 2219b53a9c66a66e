"""The synthetic instance the STOW-RS check stores: a tiny Secondary Capture image, new UIDs."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from io import BytesIO

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

__all__ = ["SECONDARY_CAPTURE", "SyntheticInstance", "synthetic_instance"]

SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"


@dataclass(frozen=True)
class SyntheticInstance:
    """The bytes sent and the UIDs to look for afterwards."""

    part10: bytes
    study_uid: str
    series_uid: str
    sop_uid: str
    patient_id: str


def synthetic_instance() -> SyntheticInstance:
    """A 4x4 8-bit Secondary Capture with fresh 2.25 UIDs and a homolog patient id."""
    marker = secrets.token_hex(6)
    study, series, sop = (str(generate_uid(prefix="2.25.")) for _ in range(3))
    meta = FileMetaDataset()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.MediaStorageSOPClassUID = UID(SECONDARY_CAPTURE)
    meta.MediaStorageSOPInstanceUID = UID(sop)
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID, ds.SOPInstanceUID = SECONDARY_CAPTURE, sop
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
    ds.PatientName, ds.PatientID = "HOMOLOG^STOW", f"HOMOLOG-{marker}"
    ds.StudyDate = dt.date.today().strftime("%Y%m%d")
    ds.StudyDescription = "homolog STOW-RS check (synthetic)"
    ds.Modality, ds.ConversionType = "OT", "WSD"
    ds.SeriesNumber = ds.InstanceNumber = 1
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows = ds.Columns = 4
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = bytes(range(16))
    buf = BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return SyntheticInstance(buf.getvalue(), study, series, sop, ds.PatientID)
