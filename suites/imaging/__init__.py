"""Imaging over DICOMweb (DICOM PS3.18 Studies Service): QIDO-RS, WADO-RS, STOW-RS.

- `dicomweb`: requests on the target's `dicomweb` base (with the auth entry of the same
  name), query strings, result lists, DICOM JSON model readers, multipart and PS3.10 parts.
- `synthetic`: the synthetic instances the run stores (pydicom, Secondary Capture): one for the
  STOW-RS check, a two-instance study for the others when the target names none.
- `<group>/<name>.py`: the check `imaging.<group>.<name>` (`qido/matching.py`,
  `wado/instances.py`, `stow/store_then_find.py`, `errors/status_codes.py` ...).

Target keys read: `base_urls.dicomweb` (e.g. `https://pacs.example/dicom-web`),
`auth.dicomweb` (optional: bearer, basic or header), `data.dicom_study` (the Study Instance
UID of a study on the system the checks query; every other value they use is read from it).
With `data_policy: create` and no `data.dicom_study`, the first check that needs a study
stores a synthetic one with STOW-RS; the run's clean-up removes it (`DELETE /studies/{uid}`,
not defined by PS3.18: a server that refuses it keeps the study, and the clean-up says so).
The STOW-RS check's own study goes the same way.
"""
