"""Document suite: CI-SIS CDA R2 validation of the documents a system produces, and the
display of the documents it receives.

Layers (imports go downwards):

- checks, one file per behaviour: ``cda/conforms`` (XSD + volet schematron),
  ``header/ins``, ``header/identity_traits``, ``header/author_custodian_ids``,
  ``header/clinical_date``; ``_support`` shares the collection of the SUT's documents;
  ``display/received_cda`` (a received CDA shown readably: a synthetic report imported
  through ``pages.document_import``, locators ``file`` and ``submit``, its display read in
  ``pages.document_received.locators.content``);
- ``display_rules``: the synthetic report, what a display of any CDA must show, how a
  page's text is judged;
- ``target_validator``: the validator the target's settings configure, one per process
  (also used by the MSSanté suite on the documents a system sends);
- ``header_rules``: the header rules as pure functions over a parsed document;
- ``validator``: safe parsing, CDA XSD, volet schematron (``volets`` maps templateIds to
  volets and picks the schematron version), ``svrl`` turns reports into issues;
- ``schematron``: ISO schematron (XSLT 2 query binding) compiled to XSLT 3, run in SaxonC,
  cached on disk by content hash; ``material`` locates the user's copy of the ANS files;
- ``sources``: documents from FHIR DocumentReference/Binary or from a declared folder;
- ``cli``: ``homolog validate cda`` over files, with the validator the checks use.

Configuration (target ``settings.documents``): ``schematron_dir``, ``xsd`` (or ``cda_dir``
naming a TestContenuCDA copy: ``homolog run --cda-dir``, env ``HOMOLOG_CDA_DIR``; else the
copy ``homolog materials fetch cda`` installed), ``folder``, ``cache_dir`` (``homolog run
--cache-dir DIR`` gives ``DIR/schematron``, env ``HOMOLOG_CACHE_DIR``), ``volet_versions``
({volet: version}), ``profiles`` (extra schematrons run on every document, relative to
``schematron_dir``).
"""

from __future__ import annotations

from homolog import FileValidator, RunOption, hookimpl


@hookimpl
def homolog_run_options() -> list[RunOption]:
    return [
        RunOption(
            "--cda-dir",
            "documents.cda_dir",
            "document checks: the root of a copy of the ANS TestContenuCDA material",
            env="HOMOLOG_CDA_DIR",
            metavar="DIR",
            kind="path",
        ),
        RunOption(
            "--cache-dir",
            "documents.cache_dir",
            "homolog's cache folder (compiled schematrons go to DIR/schematron)",
            env="HOMOLOG_CACHE_DIR",
            metavar="DIR",
            kind="path",
            under="schematron",
        ),
    ]


@hookimpl
def homolog_settings_schema() -> dict[str, object]:
    path = {"type": "string", "minLength": 1}
    return {"documents": {"type": "object", "properties": {"cda_dir": path, "cache_dir": path}}}


@hookimpl
def homolog_validators() -> dict[str, FileValidator]:
    """`homolog validate cda FILE…`: the validation the `documents.*` checks run."""
    return {
        "cda": FileValidator(
            "CDA documents: CDA XSD, CI-SIS volet schematron, Ségur header rules",
            "homolog.suites.documents.cli:main",
        )
    }
