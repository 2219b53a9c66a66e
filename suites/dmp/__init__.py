"""DMP suite: what the system sends to the patient's shared medical record (DMP).

The target declares a DMP simulator (``settings.dmp``: ``control_url``; the system is
configured with the simulator's URL and CA) and the page where a professional validates a
document (``pages.document_new``: locators ``patient_informed``, ``patient_objection``,
``hidden_from_patient``, ``validate``; ``pages.document``: ``unique_id``, ``dmp_status`` on
the page shown after validation). Each check validates a new document through the UI,
then reads what the simulator received:

- ``feed.py``: ``dmp.feed.accepted`` (DMP/ALIM.01);
- ``objection.py``: ``dmp.feed.objection_respected`` (DMP/ALIM.03);
- ``visibility.py``: ``dmp.feed.hidden_from_patient`` (DMP/ALIM.04);
- ``qualified_only.py``: ``dmp.history.qualified_ins_only`` (DMP/HISTO.05).
"""
