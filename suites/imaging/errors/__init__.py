"""Checks `imaging.errors.*`: the status codes of DICOMweb failures (PS3.18 8.5, 10.4.3, 10.5.3)."""
