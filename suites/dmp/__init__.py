"""DMP suite: what the system sends to the patient's shared medical record (DMP), and how
it shows the patient's DMP to the professional.

The DMP simulator is a counterpart (``homolog.counterparts.dmp``): the target declares it
under ``counterparts: {dmp: ...}`` (``homolog demo`` starts it before the reference DPI)
and the checks reach it through the ``dmp`` fixture (``fixtures.py``). The target also
names the page where a professional validates a document (``pages.document_new``:
locators ``patient_informed``, ``patient_objection``, ``hidden_from_patient``,
``validate``; ``pages.document``: ``unique_id``, ``dmp_status``, ``make_visible`` on the
page shown after validation). Each check validates a new document through the UI, then
reads what the simulator received:

- ``feed/accepted.py``: ``dmp.feed.accepted`` (DMP/ALIM.01; the CDA received is judged
  with the documents suite's validator, ``settings.documents``);
- ``feed/objection_respected.py``: ``dmp.feed.objection_respected`` (DMP/ALIM.03);
- ``feed/hidden_from_patient.py``: ``dmp.feed.hidden_from_patient`` (DMP/ALIM.04);
- ``history/qualified_ins_only.py``: ``dmp.history.qualified_ins_only`` (DMP/HISTO.05);
- ``consult/from_record.py``: ``dmp.consult.from_record`` (DMP/CONS.01): documents are put
  in the simulator's registry for the patient (and for another patient), then the
  record's DMP view (``pages.patient_dmp``: locators ``document``, one row per document,
  and ``open`` inside a row; ``pages.dmp_document``: ``content``) must list exactly the
  patient's documents, query the DMP by the patient's INS, and open one (ITI-43).

Target settings read (``settings.dmp``): ``send_delay_seconds`` (default 10).
"""

from __future__ import annotations

from homolog import hookimpl


@hookimpl
def homolog_fixture_modules() -> list[str]:
    """``dmp`` (the DMP simulator's control client, for the ``dmp.*`` checks)."""
    return ["homolog.suites.dmp.fixtures"]
