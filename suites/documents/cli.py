"""``homolog validate cda FILE... [--volet NAME] [--format text|json] [--jobs N]``: CDA
validation from the command line, with the code the ``documents.*`` checks run.

Each file is validated by :meth:`~.validator.DocumentValidator.validate`: the CDA XSD, the
CI-SIS schematron of its volet (detected from its templateIds, or named by ``--volet``),
the profile schematrons given with ``--profile``, and the Ségur header rules
(:class:`~.validator.HeaderRules`, unless ``--no-header``). The ANS material is the one
``--material`` names, else ``settings.documents.cda_dir`` (``homolog validate`` reads it
from ``HOMOLOG_CDA_DIR``), else the copy ``homolog materials fetch cda`` installed. Also
runnable as ``python -m homolog.suites.documents.cli FILE...`` (no environment read then:
``--material`` or the fetched copy).

``--jobs N`` validates in N processes (0: one per usable core), each with its own compiled
schematrons; the output is the one a single process gives, in the order of the files.

Exit status: 0 every document is valid; 1 at least one is invalid; 2 otherwise, when some
document could not be validated (unreadable or too large, material missing, schematron
error, or a CI-SIS document of a volet this harness does not know).
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from homolog import add_jobs_option, in_processes

from .material import AnsMaterial, MaterialError
from .schematron import SchematronError
from .svrl import Issue
from .validator import (
    MAX_DOCUMENT_BYTES,
    DocumentError,
    DocumentTooLarge,
    DocumentValidator,
    HeaderRules,
    ValidationReport,
)
from .volets import known_volets, schematron_named

__all__ = ["FORMAT", "FileResult", "main", "validate_files"]

FORMAT = "homolog.validate-cda/1"
EXIT_VALID, EXIT_INVALID, EXIT_UNDECIDED = 0, 1, 2
EVERY_HEADER_RULE = HeaderRules()


@dataclass
class FileResult:
    """The outcome for one file: ``valid``, ``invalid``, ``undecided`` or ``error``."""

    file: str
    status: str
    report: ValidationReport | None = None
    reason: str | None = None
    issues: tuple[Issue, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """SVRL-like JSON: one object per finding, named as SVRL names its attributes."""
        report = self.report
        return {
            "file": self.file,
            "status": self.status,
            "reason": self.reason,
            "volet": report.volet.name if report and report.volet else None,
            "template_id": report.volet.template_id if report and report.volet else None,
            "schematron": report.schematron.name if report and report.schematron else None,
            "profiles": sorted(report.profile_svrl) if report else [],
            "header_rules": report.header_rules if report else False,
            "fired_rules": report.fired_rules if report else 0,
            "issues": [_issue_json(i) for i in self.issues],
        }


def _issue_json(issue: Issue) -> dict[str, Any]:
    return {
        "severity": issue.severity,
        "source": issue.source,
        "id": issue.rule_id,
        "location": issue.location,
        "line": issue.line,
        "test": issue.test,
        "text": issue.message,
    }


def validate_files(
    files: Sequence[Path],
    validator: DocumentValidator,
    *,
    schematron: Path | None = None,
    header: HeaderRules | None = EVERY_HEADER_RULE,
    jobs: int = 1,
) -> list[FileResult]:
    """Validate each file, in this process or (``jobs`` > 1) in that many processes, each
    with its own copy of ``validator`` (compiled schematrons and XSD of its own, the disk
    cache shared); the results come in the order of ``files``. A file that cannot be
    validated does not stop the others; one whose process died on it is an error."""
    return in_processes(
        functools.partial(_file_validation, validator, schematron, header),
        list(files),
        jobs=jobs,
        lost=lambda path, reason: FileResult(str(path), "error", reason=f"not validated: {reason}"),
    )


def _file_validation(
    validator: DocumentValidator, schematron: Path | None, header: HeaderRules | None
) -> Callable[[Path], FileResult]:
    return functools.partial(_validate_file, validator=validator, schematron=schematron, header=header)


def _validate_file(
    path: Path, *, validator: DocumentValidator, schematron: Path | None, header: HeaderRules | None
) -> FileResult:
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise DocumentTooLarge(f"{size} bytes, above the {MAX_DOCUMENT_BYTES}-byte limit")
        data = path.read_bytes()
    except OSError as exc:
        return FileResult(name, "error", reason=f"cannot read the file: {exc.strerror or exc}")
    except DocumentTooLarge as exc:
        return FileResult(name, "error", reason=str(exc))
    try:
        report = validator.validate(data, schematron=schematron, header=header)
    except DocumentTooLarge as exc:
        return FileResult(name, "error", reason=str(exc))
    except DocumentError as exc:
        # Not XML, a DOCTYPE, or not a ClinicalDocument: certainly not a valid CDA.
        issue = Issue(severity="error", source="parse", message=str(exc), rule_id="parse")
        return FileResult(name, "invalid", reason=str(exc), issues=(issue,))
    except SchematronError as exc:
        return FileResult(name, "error", reason=str(exc))
    status = report.outcome()
    reason = "CI-SIS document of a volet this harness does not know" if status == "undecided" else None
    return FileResult(name, status, report=report, reason=reason, issues=tuple(report.issues))


def exit_status(results: Sequence[FileResult]) -> int:
    """1 if any document is invalid, else 2 if any could not be validated, else 0."""
    statuses = {r.status for r in results}
    if "invalid" in statuses:
        return EXIT_INVALID
    if statuses & {"undecided", "error"}:
        return EXIT_UNDECIDED
    return EXIT_VALID


def _counts(issues: Sequence[Issue]) -> str:
    parts = []
    for severity in ("error", "warning", "info"):
        n = sum(1 for i in issues if i.severity == severity)
        if n:
            parts.append(f"{n} {severity}{'s' if n > 1 else ''}")
    return ", ".join(parts) or "no issue"


def render_text(results: Sequence[FileResult], out: TextIO) -> None:
    """One summary line per file, then its issues as ``file:line: severity [id] text``."""
    for result in results:
        report = result.report
        what = []
        if report is not None:
            what.append(report.volet.name if report.volet else "no volet")
            if report.schematron is not None:
                what.append(report.schematron.name)
                what.append(f"{report.fired_rules} rules fired")
            what.extend(sorted(report.profile_svrl))
            if report.header_rules:
                what.append("header rules")
        detail = f" ({', '.join(what)})" if what else ""
        if result.status == "valid":
            out.write(f"{result.file}: valid{detail}, {_counts(result.issues)}\n")
        elif result.status == "invalid":
            out.write(f"{result.file}: invalid{detail}: {_counts(result.issues)}\n")
        else:
            out.write(f"{result.file}: could not validate{detail}: {result.reason}\n")
        for issue in result.issues:
            line = issue.line if issue.line is not None else "-"
            rule = f" [{issue.rule_id}]" if issue.rule_id else ""
            out.write(f"  {result.file}:{line}: {issue.severity}{rule} {issue.message}\n")
            if issue.location:
                out.write(f"      at {issue.location}\n")


def render_json(results: Sequence[FileResult], out: TextIO, material: AnsMaterial | None) -> None:
    """The SVRL-like JSON document of :data:`FORMAT`."""
    summary = {s: sum(1 for r in results if r.status == s) for s in ("valid", "invalid", "undecided", "error")}
    doc = {
        "format": FORMAT,
        "material": None
        if material is None
        else {"schematron_dir": str(material.schematron_dir), "xsd": str(material.xsd)},
        "documents": [r.to_json() for r in results],
        "summary": summary,
    }
    json.dump(doc, out, ensure_ascii=False, indent=2)
    out.write("\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``validate cda`` arguments (the engine's command reuses them)."""
    parser = argparse.ArgumentParser(
        prog="homolog validate cda",
        description="Validate CDA documents: CDA XSD, CI-SIS volet schematron, Ségur header rules.",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--volet", help="volet to validate against (LDL-SES, or with a version: LDL-SES_2022.01)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--material", type=Path, help="root of a TestContenuCDA copy (schematrons/, infrastructure/)")
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        type=Path,
        help="extra schematron run on every document, relative to schematrons/ (repeatable)",
    )
    parser.add_argument("--no-header", action="store_true", help="leave out the Ségur header rules")
    add_jobs_option(parser)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run ``homolog validate cda``; return the exit status (see the module docstring).

    ``settings``: run settings by domain, as the front end read them (``documents.cda_dir``
    from ``HOMOLOG_CDA_DIR``, ``documents.cache_dir`` from ``HOMOLOG_CACHE_DIR``).
    """
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    args = build_parser().parse_args(argv)
    documents = dict((settings or {}).get("documents") or {})
    try:
        material = AnsMaterial.located(args.material, settings=documents)
    except MaterialError as exc:
        results = [FileResult(str(f), "error", reason=str(exc)) for f in args.files]
        err.write(f"homolog validate cda: {exc}\n")
        if args.format == "json":
            render_json(results, out, None)
        else:
            render_text(results, out)
        return EXIT_UNDECIDED
    cache = documents.get("cache_dir")
    validator = DocumentValidator(material, cache_dir=Path(str(cache)) if cache else None, profiles=tuple(args.profile))
    schematron = None
    if args.volet:
        schematron = schematron_named(material.schematron_dir, args.volet)
        if schematron is None:
            volets = ", ".join(known_volets(material.schematron_dir))
            err.write(f"homolog validate cda: no schematron for volet {args.volet!r}; known volets: {volets}\n")
            return EXIT_UNDECIDED
    header = None if args.no_header else EVERY_HEADER_RULE
    results = validate_files(args.files, validator, schematron=schematron, header=header, jobs=args.jobs)
    if args.format == "json":
        render_json(results, out, material)
    else:
        render_text(results, out)
    return exit_status(results)


if __name__ == "__main__":
    sys.exit(main())
