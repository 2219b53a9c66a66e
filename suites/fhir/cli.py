"""`homolog validate fhir FILE… [--profile NAME|URL] [--package ID#VER|PATH]… [--format text|json] [--jobs N]`.

The same validation the `fhir.profiles.*` checks run, from the command line:

- packages: each `--package` is a `.tgz`, a package folder (`package/package.json` or
  `package.json` inside), a folder of packages, or an id (`hl7.fhir.fr.core#2.2.0`)
  looked up in `settings.fhir.package_folders` (`homolog validate` reads them from
  `HOMOLOG_FHIR_PACKAGES`), `~/.fhir/packages` and the packages shipped with homolog;
  without any, FR Core 2.2.0 and its dependencies are loaded;
- `--profile` by canonical URL or by StructureDefinition id or name
  (`fr-core-patient-ins`); without it, each resource is validated against its base
  definition and the profiles it declares (`meta.profile`);
- output: one line per issue (`severity  location  message`), or with `--format json`
  an OperationOutcome (one per file; a list when there are several files);
- `--jobs N`: the files validated in N processes (0: one per usable core), each loading the
  packages once; the output is the one process's, in the order of the files;
- exit status: 0 every file valid, 1 some file has an error, 2 could not validate
  (unreadable file, unknown profile, package not found, a process that died on the file).

Dependency packages that are missing are named on stderr with what they weaken (and in
the OperationOutcome as a `warning` issue).

Run: `homolog validate fhir FILE…` (or `python -m homolog.suites.fhir.validate FILE…`,
which reads no environment variable).
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from homolog import add_jobs_option, fetch_command, in_processes
from homolog.suites.fhir.packages import FhirPackageError, load_conformance
from homolog.suites.fhir.validator import Issue, UnknownProfile, Validator, to_operation_outcome

__all__ = ["DEFAULT_PACKAGES", "build_parser", "main", "validate_file_text", "validate_files"]

DEFAULT_PACKAGES = ("hl7.fhir.fr.core#2.2.0",)
EXIT_VALID, EXIT_INVALID, EXIT_CANNOT = 0, 1, 2
MAX_FILE_BYTES = 50 * 1024 * 1024


def build_parser() -> argparse.ArgumentParser:
    """The `validate fhir` arguments."""
    ap = argparse.ArgumentParser(
        prog="homolog validate fhir",
        description="Validate FHIR R4 JSON resources against base R4 and FHIR profiles.",
    )
    ap.add_argument("files", nargs="+", metavar="FILE", help="FHIR R4 JSON resource files")
    ap.add_argument("--profile", help="profile canonical URL, StructureDefinition id or name")
    ap.add_argument(
        "--package",
        action="append",
        default=[],
        metavar="ID#VER|PATH",
        help="package to load (repeatable); default: hl7.fhir.fr.core#2.2.0 and its dependencies",
    )
    ap.add_argument("--format", choices=("text", "json"), default="text")
    add_jobs_option(ap)
    ap.add_argument(
        "--unknown-extensions",
        choices=("error", "warning", "information"),
        default="error",
        help="severity of an extension no loaded package defines (default: error)",
    )
    return ap


def _read(path: Path) -> tuple[str, Issue | None]:
    """The text of a file (a byte-order mark is not content), or a fatal issue saying why not."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return "", Issue("fatal", "$", f"{path}: larger than {MAX_FILE_BYTES} bytes", "unreadable")
        return path.read_bytes().decode("utf-8-sig"), None
    except (OSError, UnicodeDecodeError) as exc:
        return "", Issue("fatal", "$", f"{path}: cannot be read ({exc})", "unreadable")


_DEFAULT_VALIDATOR: list[Validator] = []


def validate_file_text(path: str, text: str) -> list[dict[str, Any]]:
    """Issues of one file with the default packages, as OperationOutcome issues.

    The `fn(path, text)` shape of HL7 test-case scorers (`score_peer.py --callable
    homolog.suites.fhir.cli:validate_file_text`); `path` only names the case.
    """
    del path
    if not _DEFAULT_VALIDATOR:
        _DEFAULT_VALIDATOR.append(Validator(load_conformance(list(DEFAULT_PACKAGES))))
    return [i.to_fhir() for i in _DEFAULT_VALIDATOR[0].validate_text(text)]


def validate_files(
    validator: Validator, files: Sequence[Path], profile: str | None = None
) -> list[tuple[Path, list[Issue]]]:
    """Issues of each file (a fatal issue for a file that is not JSON)."""
    return [_validate_path(path, validator, profile) for path in files]


def _validate_path(path: Path, validator: Validator, profile: str | None) -> tuple[Path, list[Issue]]:
    text, problem = _read(path)
    return path, [problem] if problem is not None else validator.validate_text(text, profile)


def _file_validation(
    packages: Sequence[str], folders: Sequence[Path], unknown_extensions: str, profile: str | None
) -> Callable[[Path], tuple[Path, list[Issue]]]:
    """The validation of one file, for a process of `--jobs`: the validator loaded there."""
    validator = Validator(load_conformance(packages, search=folders), unknown_extensions=unknown_extensions)
    return functools.partial(_validate_path, validator=validator, profile=profile)


def _not_validated(path: Path, reason: str) -> tuple[Path, list[Issue]]:
    return path, [Issue("fatal", "$", f"{path}: not validated: {reason}", "not-validated")]


def _caveats(validator: Validator) -> list[Issue]:
    fetch = fetch_command("fhir")
    return [
        Issue(
            "warning",
            "$",
            f"package {m.key} (needed by {', '.join(m.required_by)}) not found: {m.weakens} (`{fetch}` installs it)",
            "profile",
        )
        for m in validator.missing
    ]


def main(
    argv: Sequence[str] | None = None,
    *,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command; returns the exit status (0 valid, 1 invalid, 2 could not validate).

    `settings`: run settings by domain, as the front end read them
    (`settings["fhir"]["package_folders"]`: folders searched for packages first).
    """
    out, err = stdout or sys.stdout, stderr or sys.stderr
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    folders = [Path(str(p)) for p in ((settings or {}).get("fhir") or {}).get("package_folders") or ()]
    packages = args.package or list(DEFAULT_PACKAGES)
    try:
        validator = Validator(
            load_conformance(packages, search=folders),
            unknown_extensions=args.unknown_extensions,
        )
        profile = validator.resolve_profile(args.profile) if args.profile else None
    except (FhirPackageError, UnknownProfile) as exc:
        print(f"homolog validate fhir: {exc}", file=err)
        return EXIT_CANNOT
    caveats = _caveats(validator)
    for c in caveats:
        print(f"homolog validate fhir: {c.message}", file=err)
    files = [Path(f) for f in args.files]
    try:
        if min(args.jobs, len(files)) > 1:  # (else this process's validator: no second package load)
            work = functools.partial(_file_validation, packages, folders, args.unknown_extensions, profile)
            results = in_processes(work, files, jobs=args.jobs, lost=_not_validated)
        else:
            results = validate_files(validator, files, profile)
    except FhirPackageError as exc:  # a package file read on demand turned out unreadable
        print(f"homolog validate fhir: {exc}", file=err)
        return EXIT_CANNOT
    if args.format == "json":
        outcomes = [to_operation_outcome(issues + caveats) for _, issues in results]
        json.dump(outcomes[0] if len(outcomes) == 1 else outcomes, out, indent=1, ensure_ascii=False)
        out.write("\n")
    else:
        for path, issues in results:
            errors = sum(1 for i in issues if i.is_error)
            print(f"{path}: {'valid' if not errors else f'{errors} error(s)'}", file=out)
            for i in issues:
                print(f"  {i.severity:<11} {i.location}  {i.message}", file=out)
    if any(_not_validated_at_all(issues) for _, issues in results):
        return EXIT_CANNOT
    return EXIT_INVALID if any(i.is_error for _, issues in results for i in issues) else EXIT_VALID


def _not_validated_at_all(issues: list[Issue]) -> bool:
    # A file that cannot be read at all, or whose process died on it, could not be
    # validated; JSON that does not parse is an invalid resource (as the HL7 validator
    # reports it: a fatal issue, exit 1).
    return any(i.code in ("unreadable", "not-validated") for i in issues)
