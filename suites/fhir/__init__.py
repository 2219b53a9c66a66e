"""FHIR domain: FHIR packages, FR Core profile validation and REST API conformance checks.

- `packages`: npm-style FHIR packages (`.tgz`, folders, `~/.fhir/packages`), indexed by
  canonical URL; nothing is downloaded.
- `validator`: base R4 (fhirkit) then profile snapshots (cardinality, types, fixed and
  pattern values, slicing, extensions, bindings, FHIRPath invariants).
- `api`: the FHIR calls and CapabilityStatement lookups the checks share.
- `<group>/<name>.py`: the check `fhir.<group>.<name>` (`rest/read.py`, `search/paging.py`,
  ...), run against the target's `fhir` base with auth `fhir`.
- `selftest`: the mutation corpus that measures the validator (precision, recall); used by
  tests and `bench/validate.py`, never loaded with the checks.

Target settings read by this domain (`settings.fhir`):

    profiles: {Patient: <canonical>, ...}   # profile each resource type must conform to
    packages: [<path>, ...]                 # .tgz files / package folders (loaded) or
                                            # folders holding packages (searched)
    requires: ["hl7.fhir.fr.core#2.2.0"]    # package ids to load (this is the default)

    package_folders: [<folder>, ...]        # more folders holding packages (searched)

`homolog run --fhir-packages` (or the environment variable HOMOLOG_FHIR_PACKAGES, read by
the front ends) sets `package_folders`; ~/.fhir/packages is searched last.
"""

from __future__ import annotations

from homolog import RunOption, hookimpl


@hookimpl
def homolog_run_options() -> list[RunOption]:
    return [
        RunOption(
            "--fhir-packages",
            "fhir.package_folders",
            "FHIR checks: folders holding FHIR packages, searched after the target's packages",
            env="HOMOLOG_FHIR_PACKAGES",
            metavar="DIRS",
            kind="paths",
        )
    ]


@hookimpl
def homolog_settings_schema() -> dict[str, object]:
    folders = {"type": "array", "items": {"type": "string"}}
    return {"fhir": {"type": "object", "properties": {"package_folders": folders, "packages": folders}}}
