"""FHIR domain: FHIR packages, FR Core profile validation and REST API conformance checks.

- `packages`: npm-style FHIR packages (`.tgz`, folders, `~/.fhir/packages`), indexed by
  canonical URL; nothing is downloaded. FR Core 2.2.0 and hl7.fhir.r4.core 4.0.1 (CC0)
  ship in `data/` as the last place looked in; dependencies that are nowhere are listed
  with what their absence weakens (`Conformance.missing_dependencies()`).
- `validator`: base R4 (fhirkit), then each resource's StructureDefinitions from the
  packages (its base definition, the profile asked for or declared, the vital-signs
  profile its code implies) compiled once into plans: cardinality, types, fixed and
  pattern values, slicing, extensions and their contexts, bindings to expanded value
  sets, FHIRPath invariants (a compiled subset, fhirpathpy for the rest), and the rules
  outside StructureDefinitions (ids, Bundles, canonical URLs, narrative XHTML).
- `cli`: `homolog validate fhir FILE… [--profile NAME|URL] [--package ID#VER|PATH]…
  [--format text|json]`, runnable as `python -m homolog.suites.fhir.validate`.
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
    unknown_extensions: error               # or warning / information: an extension no
                                            # loaded package defines (error, as HL7's validator)

    package_folders: [<folder>, ...]        # more folders holding packages (searched)

`homolog run --fhir-packages` (or the environment variable HOMOLOG_FHIR_PACKAGES, read by
the front ends) sets `package_folders`; ~/.fhir/packages is searched after them, and the
packages shipped with homolog last.
"""

from __future__ import annotations

from homolog import FileValidator, RunOption, hookimpl


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
    seed = {"type": "integer", "minimum": 0}  # replays fhir.robustness.malformed_input's requests
    return {
        "fhir": {
            "type": "object",
            "properties": {"package_folders": folders, "packages": folders, "robustness_seed": seed},
        }
    }


@hookimpl
def homolog_validators() -> dict[str, FileValidator]:
    """`homolog validate fhir FILE…`: the validation the `fhir.profiles.*` checks run."""
    return {
        "fhir": FileValidator(
            "FHIR R4 JSON resources against base R4 and FHIR profiles (FR Core by default)",
            "homolog.suites.fhir.cli:main",
        )
    }
