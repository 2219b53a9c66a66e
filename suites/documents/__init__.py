"""Document suite: CI-SIS CDA R2 validation of the documents a system produces.

Layers (imports go downwards):

- checks, one file per behaviour: ``cda/conforms`` (XSD + volet schematron),
  ``header/ins``, ``header/identity_traits``, ``header/author_custodian_ids``,
  ``header/clinical_date``; ``_support`` shares the configured validator and the
  collection of the SUT's documents;
- ``header_rules``: the header rules as pure functions over a parsed document;
- ``validator``: safe parsing, CDA XSD, volet schematron (``volets`` maps templateIds to
  volets and picks the schematron version), ``svrl`` turns reports into issues;
- ``schematron``: ISO schematron (XSLT 2 query binding) compiled to XSLT 3, run in SaxonC,
  cached on disk by content hash; ``material`` locates the user's copy of the ANS files;
- ``sources``: documents from FHIR DocumentReference/Binary or from a declared folder.

Configuration (target ``settings.documents``): ``schematron_dir``, ``xsd`` (or the
environment variable ``HOMOLOG_CDA_DIR`` naming a TestContenuCDA copy), ``folder``,
``cache_dir``, ``volet_versions`` ({volet: version}), ``profiles`` (extra schematrons run on
every document, relative to ``schematron_dir``).
"""
