"""The `homolog` command.

Exit codes: 0 compliant, 1 usage or configuration error, 2 harness error,
100 non-compliant, 101 incomplete (errors, skipped or manual items left).
`homolog validate` has its own, like the file validators users know: 0 every file
valid, 1 some file invalid, 2 some file could not be validated or a usage mistake.
A user's mistake prints a located message, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import ConfigError, HomologError, RunError
from .verdicts import ExitCode

if TYPE_CHECKING:
    from homolog.reports.coverage import Coverage

    from .referential import Referential

__all__ = ["main"]

Handler = Callable[[argparse.Namespace], int]
_COMMANDS: dict[str, Handler] = {}


def command(name: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        _COMMANDS[name] = func
        return func

    return register


def _err(message: str) -> None:
    print(f"homolog: {message}", file=sys.stderr)


# --------------------------------------------------------------------------- run


def _suite_settings(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    """Settings the suites' run options give on the command line, and those the environment gives."""
    from .environment import setting_defaults
    from .hookspec import suite_plugins

    options = suite_plugins().run_options()
    given = {o.setting: o.value(getattr(args, o.dest)) for o in options if getattr(args, o.dest, None)}
    return given, setting_defaults([o for o in options if o.setting not in given])


def _add_suite_options(parser: argparse.ArgumentParser) -> None:
    from .hookspec import suite_plugins

    for option in suite_plugins().run_options():
        env = f" (env {option.env})" if option.env else ""
        parser.add_argument(option.flag, dest=option.dest, metavar=option.metavar, help=option.help + env)


@command("run")
def cmd_run(args: argparse.Namespace) -> int:
    from .api import run
    from .console import print_summary, render_reports
    from .environment import referential_paths
    from .runstore import RunStore, default_out_dir

    resume_dir = Path(args.resume) if args.resume else None
    if resume_dir is not None:
        session = RunStore(resume_dir).session()
        referential = args.referential or session["referential"]
        target = Path(args.target or session.get("target_path") or "")
        out = resume_dir
    else:
        if not args.referential or not args.target:
            _err("run needs -r REFERENTIAL and -t TARGET (or --resume DIR)")
            return ExitCode.USAGE
        referential, target = args.referential, Path(args.target)
        out = Path(args.out) if args.out else default_out_dir(referential)
    settings, defaults = _suite_settings(args)
    result = run(
        referential,
        target,
        out=out,
        resume=resume_dir is not None,
        keyword=args.k,
        workers=args.n,
        attestations=args.attestations,
        waivers=args.waivers,
        paths=[*(args.path or ()), *referential_paths()],
        settings=settings,
        setting_defaults=defaults,
        shard=args.shard,
        extra=_allure_args(args) + args.pytest_args,
    )
    print_summary(result, render_reports(out, args.report, args.lang))
    return result.exit_code


def _allure_args(args: argparse.Namespace) -> list[str]:
    """`--alluredir DIR` is allure-pytest's own option: handed to the run's pytest as given."""
    return ["--alluredir", str(args.alluredir)] if args.alluredir else []


# --------------------------------------------------------------------------- demo


@command("demo")
def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import list_defects, run_demo

    if args.list_defects:
        print(list_defects())
        return 0
    args.pytest_args = _allure_args(args) + list(args.pytest_args or [])
    return run_demo(args, *_suite_settings(args))


# --------------------------------------------------------------------------- validate, materials


def _settings_by_domain(flat: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for key, value in flat.items():
        domain, _, name = key.partition(".")
        out.setdefault(domain, {})[name] = value
    return out


@command("validate")
def cmd_validate(args: argparse.Namespace) -> int:
    """`homolog validate <kind> FILE… [options]`: the suite that knows the kind validates."""
    from .environment import setting_defaults
    from .hookspec import VALIDATE_UNDECIDED, suite_plugins

    plugins = suite_plugins()
    validators = plugins.validators()
    if args.kind not in validators:
        known = ", ".join(sorted(validators)) or "none (no suite declares a validator)"
        _err(f"validate: unknown kind {args.kind!r}; known: {known}")
        return VALIDATE_UNDECIDED
    command = validators[args.kind].load()
    # Settings the suites' options take from the environment (HOMOLOG_CDA_DIR ...), read here.
    settings = _settings_by_domain(setting_defaults(plugins.run_options()))
    try:
        return int(command(list(args.args), settings=settings))
    except SystemExit as exc:  # the suite's argparse: --help (0) or a usage mistake (2)
        return 0 if exc.code in (0, None) else VALIDATE_UNDECIDED


@command("materials")
def cmd_materials(args: argparse.Namespace) -> int:
    """`homolog materials fetch|status`: published material homolog may not ship."""
    from .materials import main as materials_main

    try:
        return materials_main(list(args.args))
    except SystemExit as exc:  # its argparse: --help (0) or a usage mistake
        return 0 if exc.code in (0, None) else ExitCode.USAGE


# --------------------------------------------------------------------------- lint, list, schema


@command("lint")
def cmd_lint(args: argparse.Namespace) -> int:
    from .lint import lint_paths

    if args.referential:
        return _lint_target(args)
    n, problems = lint_paths([Path(p) for p in args.paths])
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {n} file(s)", file=sys.stderr)
        return ExitCode.USAGE
    print(f"{n} file(s) OK")
    return 0


def _lint_target(args: argparse.Namespace) -> int:
    """`homolog lint TARGET -r REF`: what the run would find missing, before it runs."""
    from .environment import referential_paths
    from .lint import lint_target

    if len(args.paths) != 1:
        _err("lint -r REFERENTIAL takes one target file")
        return ExitCode.USAGE
    try:
        fit = lint_target(args.referential, Path(args.paths[0]), [*(args.path or ()), *referential_paths()])
    except ConfigError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        return ExitCode.USAGE
    for line in fit.lines():
        print(line)
    print(
        f"{fit.cases} case(s) to run; {len(fit.unmet)} would end in error for want of a declaration; "
        f"{len(fit.not_applicable)} requirement(s) not applicable"
    )
    return ExitCode.INCOMPLETE if fit.unmet else 0


@command("list")
def cmd_list(args: argparse.Namespace) -> int:
    if args.what == "checks":
        from .checks import registry

        for spec in registry:
            print(f"{spec.id:<48} {spec.title}")
        for name, err in registry.load_errors.items():
            _err(f"suite {name} failed to import: {err}")
        return 0 if not registry.load_errors else ExitCode.HARNESS
    from .environment import referential_paths
    from .referential import find_referentials, search_path

    extra = [*(Path(p) for p in args.path or ()), *referential_paths()]
    for ref_id, version, path in find_referentials(search_path(extra)):
        print(f"{ref_id + '@' + version:<32} {path}")
    return 0


@command("coverage")
def cmd_coverage(args: argparse.Namespace) -> int:
    """`homolog coverage [REF…]`: per referential and family, how its requirements are verified."""
    from homolog.reports.coverage import (
        AS_WRITTEN,
        header_lines,
        programmes_markdown,
        programmes_text,
    )

    from .environment import referential_paths
    from .referential import find_referentials, load_referential, search_path

    roots = search_path([*(Path(p) for p in args.path or ()), *referential_paths()])
    # No REF: the latest version of each referential found (find_referentials sorts versions).
    specs = args.referentials or list({i: f"{i}@{v}" for i, v, _ in find_referentials(roots)}.values())
    found: list[Coverage] = []
    bad = 0
    for spec in specs:
        try:
            found.append(_coverage_of(load_referential(spec, roots=roots)))
        except ConfigError as exc:  # the loader's own problems: file, line, key
            bad += 1
            for problem in exc.problems:
                _err(f"coverage of {spec}: {problem}")
    if bad and not found:
        return ExitCode.USAGE
    if args.format == "json":
        doc = {"format": "homolog.coverage/1", "counted": AS_WRITTEN, "referentials": [c.to_json() for c in found]}
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    elif args.format == "markdown":
        parts = [" ".join(header_lines())]
        if len(found) > 1:
            parts.append(programmes_markdown(found).rstrip("\n"))
        parts += [c.to_markdown(checks=args.checks).rstrip("\n") for c in found]
        print("\n\n".join(parts))
    else:
        parts = ["\n".join(header_lines())]
        parts += [c.to_text(checks=args.checks).rstrip("\n") for c in found]
        if len(found) > 1:
            parts.append(programmes_text(found).rstrip("\n"))
        print("\n\n".join(parts))
    return ExitCode.USAGE if bad else 0


def _coverage_of(ref: Referential) -> Coverage:
    """A resolved referential as the coverage summary counts it."""
    from homolog.reports.coverage import Entry, coverage

    entries = [
        Entry(r.id, r.title, r.family, r.kind, tuple(c.check for c in r.checks), r.source.to_confirm)
        for r in ref.requirements
    ]
    titles = {name: text.get("en") for name, text in ref.families.items()}
    return coverage(ref.ref, entries, title=ref.title, publisher=ref.publisher, family_titles=titles)


@command("cleanup")
def cmd_cleanup(args: argparse.Namespace) -> int:
    """Finish the clean-up of a run: delete what it created, restore what it changed."""
    from .cleanup import Ledger, clean_up
    from .evidence import Evidence, Sanitizer
    from .http import HttpClient
    from .runstore import RunStore
    from .target import load_target

    run_dir = Path(args.run_dir)
    session = RunStore(run_dir).session()
    original = Path(session.get("target_path") or "")
    target = load_target(original if original.is_file() else run_dir / "inputs" / "target.yaml")
    ledger = Ledger(run_dir)
    if not ledger.pending():
        print(f"{run_dir}: nothing left to clean up ({len(ledger.entries())} resource(s) in the ledger)")
        return 0
    evidence = Evidence(run_dir, "_cleanup", Sanitizer(target.secret_values(), fields=target.credential_fields()))
    with HttpClient(target, evidence) as client:
        summary = clean_up(ledger, client)
    print(f"{run_dir}: {summary.describe()}")
    return 0 if not summary.remaining else ExitCode.HARNESS


@command("schema")
def cmd_schema(args: argparse.Namespace) -> int:
    from .schemas import load_schema

    print(json.dumps(load_schema(args.kind), indent=2))
    return 0


# --------------------------------------------------------------------------- reports, integrity, diffs


@command("report")
def cmd_report(args: argparse.Namespace) -> int:
    from .console import render_reports

    for fmt, path in render_reports(Path(args.run_dir), args.format, args.lang).items():
        print(f"{fmt}: {path}")
    return 0


@command("sign")
def cmd_sign(args: argparse.Namespace) -> int:
    from .integrity import sign, write_manifest

    run_dir = Path(args.run_dir)
    if not (run_dir / "MANIFEST.sha256").exists():
        write_manifest(run_dir)
    print(sign(run_dir, Path(args.key)))
    return 0


@command("keygen")
def cmd_keygen(args: argparse.Namespace) -> int:
    from .integrity import generate_keypair

    generate_keypair(Path(args.private), Path(args.public))
    print(f"private key: {args.private}\npublic key: {args.public}")
    return 0


@command("verify")
def cmd_verify(args: argparse.Namespace) -> int:
    from .integrity import verify
    from .shard import verify_shards

    result = verify(Path(args.run_dir), Path(args.pubkey) if args.pubkey else None)
    print(result.describe())
    # A merged run keeps each shard's manifest: its files must still match them too.
    shard_problems = verify_shards(Path(args.run_dir))
    for problem in shard_problems:
        print(f"shard: {problem}")
    return 0 if result.ok and not shard_problems else ExitCode.NON_COMPLIANT


@command("merge")
def cmd_merge(args: argparse.Namespace) -> int:
    from .console import print_merge, render_reports
    from .shard import merge_shards
    from .verdicts import exit_code

    out = Path(args.out)
    doc = merge_shards([Path(d) for d in args.shards], out, pubkey=Path(args.pubkey) if args.pubkey else None)
    print_merge(out, doc, render_reports(out, args.report, args.lang))
    return exit_code(doc.status)


@command("diff")
def cmd_diff(args: argparse.Namespace) -> int:
    from homolog.reports.diff import diff_runs

    d = diff_runs(Path(args.run_a), Path(args.run_b))
    print(d.to_json() if args.json else d.to_text())
    return ExitCode.NON_COMPLIANT if d.has_regression else 0


@command("referential-diff")
def cmd_refdiff(args: argparse.Namespace) -> int:
    from .refdiff import diff_referentials, stale_verdicts
    from .referential import load_referential
    from .runfile import read_run

    d = diff_referentials(load_referential(args.old), load_referential(args.new))
    stale = stale_verdicts(d, read_run(Path(args.run))) if args.run else None
    if args.json:
        out = d.to_json()
        if stale is not None:
            out["stale_verdicts"] = [s.to_json() for s in stale]
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        print(d.to_text(stale), end="")
    return 0


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="homolog",
        description="Certification and compliance test harness for health information systems.",
    )
    p.add_argument("--version", action="version", version=f"homolog {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    r = sub.add_parser("run", help="run a referential against a target")
    r.add_argument("-r", "--referential", help="referential: file, id or id@version")
    r.add_argument("-t", "--target", help="target YAML file")
    r.add_argument("--out", help="run directory (default: homolog-runs/<ref>-<time>)")
    r.add_argument("--resume", metavar="DIR", help="continue a killed run without re-running finished checks")
    r.add_argument("-k", metavar="EXPR", help="only cases matching the pytest keyword expression")
    r.add_argument("-n", type=int, metavar="N", help="parallel workers (pytest-xdist)")
    r.add_argument("--attestations", help="attestations YAML file")
    r.add_argument("--waivers", help="waivers YAML file")
    r.add_argument("--path", action="append", help="extra folder of referentials")
    r.add_argument("--alluredir", metavar="DIR", help="also write Allure results (allure-pytest) into DIR")
    r.add_argument("--shard", metavar="K/N", help="run the K-th of N deterministic shares of the cases (then: merge)")
    r.add_argument("--report", default="html,junit,csv", help="reports to render (default html,junit,csv; '' for none)")
    r.add_argument("--lang", default="fr", choices=["fr", "en"])
    _add_suite_options(r)
    r.add_argument("pytest_args", nargs="*", help="after --: extra pytest arguments")

    d = sub.add_parser("demo", help="run the built-in referentials against the reference SUT")
    d.add_argument("--defects", default="", help="comma-separated defect switches to turn on")
    d.add_argument("--list-defects", action="store_true", help="list the defect switches")
    d.add_argument("--out", help="run directory")
    d.add_argument("-r", "--referential", default=None, help="referential to run (default: the built-in demo set)")
    d.add_argument("--report", default="html,pdf,junit,csv", help="reports to render")
    d.add_argument("--lang", default="fr", choices=["fr", "en"])
    d.add_argument("-k", metavar="EXPR")
    d.add_argument(
        "-n",
        type=int,
        metavar="N",
        help="parallel workers (pytest-xdist); 0: one process. Default: 2 for the built-in demo on a "
        "machine with 2 cores or more, else one process",
    )
    d.add_argument("--shard", metavar="K/N", help="run the K-th of N deterministic shares of the cases")
    d.add_argument("--alluredir", metavar="DIR", help="also write Allure results (allure-pytest) into DIR")
    _add_suite_options(d)
    d.add_argument("pytest_args", nargs="*", help="after --: extra pytest arguments")

    va = sub.add_parser(
        "validate",
        help="validate files (exit 0 valid, 1 invalid, 2 could not validate)",
        description="Validate files with the code the checks use: "
        + "; ".join(f"{kind}: {v.help}" for kind, v in sorted(_validators().items()))
        + ". Exit status: 0 every file valid, 1 some file invalid, 2 some file could not be validated."
        " `homolog validate KIND --help` lists the options of KIND (--format json among them).",
    )
    va.add_argument("kind", metavar="KIND", help="kind of file: " + ", ".join(sorted(_validators())))
    va.add_argument("args", nargs=argparse.REMAINDER, help="FILE… and the options of KIND")

    ma = sub.add_parser(
        "materials",
        help="fetch or show published material homolog does not ship (ANS CDA, FHIR dependencies)",
        add_help=False,
    )
    ma.add_argument("args", nargs=argparse.REMAINDER, help="fetch cda|fhir … | status (see --help)")

    lint = sub.add_parser("lint", help="validate referential and target files")
    lint.add_argument("paths", nargs="*", help="files or folders (default: the built-in referentials)")
    lint.add_argument(
        "-r",
        "--referential",
        help="with one TARGET file: list what a run of this referential would find missing "
        "(exit 101 when a case would end in error for want of a declaration)",
    )
    lint.add_argument("--path", action="append", help="extra folder of referentials")

    ls = sub.add_parser("list", help="list referentials or checks")
    ls.add_argument("what", choices=["referentials", "checks"])
    ls.add_argument("--path", action="append")

    cv = sub.add_parser(
        "coverage",
        help="per referential and family: requirements automated, attested, not tested (reads referentials only)",
        description="Per referential and family, how many requirements are automated (checks), attested "
        "(manual: an attestation the vendor supplies) or not tested, the share automated, and the ids "
        "still to confirm against the published text. Counts requirements as written: applicability "
        "to a system is decided by a run. Nothing is run.",
    )
    cv.add_argument(
        "referentials",
        nargs="*",
        metavar="REF",
        help="file, id or id@version (default: the latest version of every referential found)",
    )
    cv.add_argument("--format", default="text", choices=["text", "json", "markdown"])
    cv.add_argument("--checks", action="store_true", help="also list the checks each family uses")
    cv.add_argument("--path", action="append", help="extra folder of referentials")

    cu = sub.add_parser("cleanup", help="remove what an interrupted run created on the system (its cleanup ledger)")
    cu.add_argument("run_dir")

    sc = sub.add_parser("schema", help="print a JSON Schema")
    sc.add_argument("kind", choices=["referential", "target", "run"])

    rep = sub.add_parser("report", help="render reports of a finished run")
    rep.add_argument("run_dir")
    rep.add_argument("--format", default="html,pdf,junit,csv")
    rep.add_argument("--lang", default="fr", choices=["fr", "en"])

    sg = sub.add_parser("sign", help="sign a run's manifest (Ed25519)")
    sg.add_argument("run_dir")
    sg.add_argument("--key", required=True, help="Ed25519 private key (PEM)")

    kg = sub.add_parser("keygen", help="create an Ed25519 key pair for signing runs")
    kg.add_argument("private")
    kg.add_argument("public")

    vf = sub.add_parser("verify", help="verify a run's manifest and signature")
    vf.add_argument("run_dir")
    vf.add_argument("--pubkey")

    mg = sub.add_parser("merge", help="merge the run directories of the N shards of a run into one run")
    mg.add_argument("shards", nargs="+", metavar="SHARD_DIR")
    mg.add_argument("--out", required=True, help="the merged run directory (new or empty)")
    mg.add_argument("--pubkey", help="also require each shard's Ed25519 signature by this key")
    mg.add_argument("--report", default="html,junit,csv", help="reports to render ('' for none)")
    mg.add_argument("--lang", default="fr", choices=["fr", "en"])

    df = sub.add_parser("diff", help="compare two runs (exit 100 on regression)")
    df.add_argument("run_a")
    df.add_argument("run_b")
    df.add_argument("--json", action="store_true")

    rd = sub.add_parser("referential-diff", help="compare two referential versions")
    rd.add_argument("old")
    rd.add_argument("new")
    rd.add_argument("--run", help="a run directory whose stale verdicts to list")
    rd.add_argument("--json", action="store_true")
    return p


def _validators() -> dict[str, Any]:
    from .hookspec import suite_plugins

    try:
        return dict(suite_plugins().validators())
    except ValueError:  # two suites claim a kind: `homolog validate` says so when run
        return {}


def _user_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that are the user's to fix: a message, exit 1, no traceback."""
    errors: list[type[BaseException]] = [ConfigError]
    try:
        from .integrity import IntegrityError

        errors.append(IntegrityError)
    except ImportError:
        pass
    try:
        from homolog.reports import ReportError

        errors.append(ReportError)
    except ImportError:
        pass
    return tuple(errors)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Commands that hand their arguments to another parser (a suite's validator, the
    # materials command), options and --help included: argparse's REMAINDER would not.
    if argv[:1] == ["materials"] or (argv[:1] == ["validate"] and len(argv) > 1 and not argv[1].startswith("-")):
        passthrough = argparse.Namespace(command=argv[0], kind=argv[1] if argv[0] == "validate" else None)
        passthrough.args = argv[2:] if argv[0] == "validate" else argv[1:]
        return _dispatch(passthrough)
    parser = build_parser()
    extra: list[str] = []
    if "--" in argv and argv[:1] not in (["validate"], ["materials"]):
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1 :]
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        if exc.code in (0, None):
            return 0
        # `homolog validate` keeps 1 for "invalid": a usage mistake there is "could not validate".
        return 2 if argv[:1] == ["validate"] else ExitCode.USAGE
    if hasattr(args, "pytest_args"):
        args.pytest_args = list(args.pytest_args or []) + extra
    if not args.command:
        parser.print_help()
        return ExitCode.USAGE
    return _dispatch(args)


def _dispatch(args: argparse.Namespace) -> int:
    try:
        return int(_COMMANDS[args.command](args))
    except _user_errors() as exc:
        _err(str(exc))
        return ExitCode.USAGE
    except (RunError, HomologError) as exc:
        _err(str(exc))
        return ExitCode.HARNESS
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:
        os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
