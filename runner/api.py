"""The one way to run a referential against a target: `homolog.api.run`.

    result = run("segur-dpi@2.0.0", "target.yaml", out=Path("runs/today"))
    result.status, result.exit_code, result.run_dir, result.document.requirements

The CLI (`homolog run`), the demo (`homolog demo`) and the test helpers
(`homolog.testing`) all come through here. A run is an in-process `pytest.main` on
the engine's single case function with the homolog plugin: `-k`, `-n` (xdist),
`--junitxml` and other pytest options keep working, and the plugin streams results
into the run directory, then writes run.json.

A run is supervised where the system can fork (`homolog.supervisor`): the session runs
in a child process, and a check stuck past its deadline where no signal reaches it
(native code) has that process killed, its verdict recorded as `error`, and the run
goes on in a new session; what the child prints is copied to the caller's streams.

Counterparts (simulated national services) reach a run two ways: the ones the
target declares under `counterparts:` are started and stopped by the run itself;
the ones a caller already started (the demo starts Pro Santé Connect before the
reference SUT, which must know its address) are passed as `counterparts=`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .errors import ConfigError, HomologError, RunError
from .runfile import RunDocument, read_run
from .runstore import RunStore, default_out_dir
from .supervisor import Overrun, Supervisor, can_supervise
from .verdicts import ExitCode, RunStatus, exit_code

__all__ = ["RunResult", "default_out_dir", "pytest_args", "run", "usable_run_dir"]

_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class RunResult:
    """What a finished run left: its folder, its document and what the command should exit with."""

    run_dir: Path
    document: RunDocument
    pytest_exit: int

    @property
    def status(self) -> RunStatus:
        return self.document.status

    @property
    def exit_code(self) -> ExitCode:
        return exit_code(self.document.status)


#: The pytest plugins of a run, whatever else is installed: the engine, xdist (`-n`) and
#: allure-pytest (`--alluredir`, loaded only when a run is asked for Allure results: its
#: imports cost every process 25-30 ms). Plugins other packages register for pytest
#: (hypothesis, anyio, pytest-timeout, a vendor test suite's own) are not loaded into a run:
#: they could change how a run collects, orders or reports its cases, and cost every process
#: of every run their imports and hooks (`bench/run_plugins.py`). A run that needs one names
#: it after `--`: `homolog run … -- -p NAME`.
RUN_PLUGINS = ("homolog.plugin", "xdist.plugin", "allure_pytest.plugin")
ALLURE_PLUGIN = "allure_pytest.plugin"


def run_plugins(args: Sequence[str] = ()) -> list[str]:
    """`RUN_PLUGINS` that are installed (xdist comes with the development extras), allure-pytest
    only when the run's other pytest arguments `args` hold `--alluredir`."""
    allure = any(a == "--alluredir" or a.startswith("--alluredir=") for a in args)
    wanted = [name for name in RUN_PLUGINS if name != ALLURE_PLUGIN or allure]
    return [name for name in wanted if importlib.util.find_spec(name.partition(".")[0]) is not None]


def plugin_args(args: Sequence[str] = ()) -> list[str]:
    """The part of a run's pytest command line that says which plugins it loads (`run_plugins`)."""
    return ["--disable-plugin-autoload", *(a for name in run_plugins(args) for a in ("-p", name))]


def pytest_args(
    referential: str | Path,
    target: str | Path,
    out: str | Path,
    *,
    resume: bool = False,
    keyword: str | None = None,
    workers: int | None = None,
    attestations: str | Path | None = None,
    waivers: str | Path | None = None,
    paths: Sequence[str | Path] = (),
    shard: str | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    """The pytest command line of a run (`run` uses it; tests may run it in a subprocess)."""
    args = [
        str(_HERE / "cases" / "_cases.py"),
        "-c",
        str(_HERE / "cases" / "run.ini"),
        "--rootdir",
        str(out),
        "-p",
        "no:cacheprovider",
        "-q",
        "--tb=no",
        "--no-header",
        "-rN",
        "--homolog-referential",
        str(referential),
        "--homolog-target",
        str(target),
        "--homolog-out",
        str(out),
    ]
    args += plugin_args(extra)
    if resume:
        args.append("--homolog-resume")
    if keyword:
        args += ["-k", keyword]
    if workers:
        # loadgroup: checks declared `together` run in one worker (`homolog.check`)
        args += ["-n", str(workers), "--dist", "loadgroup"]
    if attestations:
        args += ["--homolog-attestations", str(attestations)]
    if waivers:
        args += ["--homolog-waivers", str(waivers)]
    for p in paths:
        args += ["--homolog-path", str(p)]
    if shard:
        args += ["--homolog-shard", shard]
    return args + list(extra)


def usable_run_dir(run_dir: Path, *, resume: bool = False) -> Path:
    """The run folder, created; `ConfigError` naming it when it cannot hold a run (never a traceback)."""
    if run_dir.exists() and not run_dir.is_dir():
        raise ConfigError(f"--out {run_dir}: this is a file, not a folder; name a new folder for the run")
    if resume and not run_dir.is_dir():
        raise ConfigError(f"{run_dir}: no such run directory to resume")
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        # os.access says yes to root on a read-only mount: try for real
        fd, probe = tempfile.mkstemp(prefix=".homolog-probe-", dir=run_dir)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ConfigError(
            f"--out {run_dir}: cannot write there ({exc.strerror or exc}); name a folder you can write to"
        ) from None
    return run_dir


class _Started:
    """Hands counterparts the caller started to the plugin of this in-process run."""

    def __init__(self, described: Mapping[str, Mapping[str, Any]]) -> None:
        self.described = described

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        from .plugin import STARTED_COUNTERPARTS

        config.stash[STARTED_COUNTERPARTS] = dict(self.described)


def run(
    referential: str | Path,
    target: str | Path,
    *,
    out: str | Path | None = None,
    resume: bool = False,
    keyword: str | None = None,
    workers: int | None = None,
    attestations: str | Path | None = None,
    waivers: str | Path | None = None,
    paths: Sequence[str | Path] = (),
    settings: Mapping[str, Any] | None = None,
    setting_defaults: Mapping[str, Any] | None = None,
    counterparts: Mapping[str, Any] | None = None,
    shard: str | None = None,
    extra: Sequence[str] = (),
    supervise: bool = True,
) -> RunResult:
    """Run `referential` (a path, `id` or `id@version`) against the target file `target`.

    `out` is the run directory (`default_out_dir` when None; with `resume`, the run to
    continue). `settings` (`<domain>.<key>` -> value) replace what the target file says;
    `setting_defaults` fill what it leaves out. `counterparts` maps names to counterparts already started
    (`homolog.counterparts.Counterpart`); the target's own `counterparts:` are started
    here. `shard` ("K/N") runs only the K-th share of the cases (`homolog.shard`).
    `supervise=False` runs the session in this process (no watchdog for checks
    stuck in native code; the timer signal still stops the others). Raises `ConfigError`
    when the run cannot start (the reason was printed by pytest) and `HomologError` when
    it ended without a run document.
    """
    from homolog.counterparts import describe

    from .hookspec import encode_setting

    run_dir = usable_run_dir(Path(out) if out is not None else default_out_dir(referential), resume=resume)
    args = pytest_args(
        referential,
        target,
        run_dir,
        resume=resume,
        keyword=keyword,
        workers=workers,
        attestations=attestations,
        waivers=waivers,
        paths=paths,
        shard=shard,
        extra=[
            *(a for k, v in (settings or {}).items() for a in ("--homolog-setting", encode_setting(k, v))),
            *(a for k, v in (setting_defaults or {}).items() for a in ("--homolog-default", encode_setting(k, v))),
            *extra,
        ],
    )
    described = {name: describe(name, cp) for name, cp in (counterparts or {}).items()}
    plugins: list[Any] = [_Started(described)] if described else []
    before = _stamp(run_dir / "run.json")
    if supervise and can_supervise():
        with contextlib.ExitStack() as held:
            try:
                held.enter_context(RunStore(run_dir).lock())  # for the life of the run, children included
            except RunError as exc:
                raise ConfigError(str(exc)) from None
            code = _supervised(args, plugins, run_dir, resume=resume)
    else:
        code = int(pytest.main(args, plugins=plugins or None))
    if code == pytest.ExitCode.USAGE_ERROR:
        raise ConfigError("the run could not start (see the message above)")
    if _stamp(run_dir / "run.json") in (None, before):
        raise HomologError(f"pytest ended with code {int(code)} and no run.json was written in {run_dir}")
    return RunResult(run_dir, read_run(run_dir), int(code))


def _supervised(args: list[str], plugins: list[Any], run_dir: Path, *, resume: bool) -> int:
    """The session in a child process, again after each kill of a stuck check (`homolog.supervisor`)."""
    from . import plugin
    from .hookspec import suite_plugins

    # What every session loads, loaded here once, so that every child (and every run of a
    # test process) inherits it: the engine, the suites' plugins and their fixture modules.
    # A session imports the check modules of the groups its referential names
    # (`homolog.checks.Registry`), not every suite's.
    del plugin
    for name in suite_plugins().fixture_modules():
        importlib.import_module(name)
    supervisor = Supervisor(_record_killed(run_dir))

    def session(resuming: bool) -> int:
        again = ["--homolog-resume"] if resuming and "--homolog-resume" not in args else []
        argv = [*args, *again, "--homolog-supervisor", str(supervisor.slots)]
        return int(pytest.main(argv, plugins=plugins or None))

    return supervisor.run(session, resume=resume)


def _record_killed(run_dir: Path) -> Callable[[Overrun], None]:
    """Write the verdict of a check whose process the supervisor killed, with the evidence it left."""
    store = RunStore(run_dir)

    def record(overrun: Overrun) -> None:
        about = overrun.about
        line = dict(about.get("record") or {})
        if not line.get("key"):
            print(f"homolog: process {overrun.pid} was killed past a check's deadline", file=sys.stderr)
            return
        if line["key"] in store.results():
            return  # it ended as it was killed: its own verdict stands
        prefix = str(about.get("evidence_prefix") or "")
        folder, _, stem = prefix.rpartition("/")
        if folder == "evidence" and stem and (run_dir / folder).is_dir():
            line["evidence"] = sorted(
                f"{folder}/{e.name}" for e in os.scandir(run_dir / folder) if e.name.startswith(stem) and e.is_file()
            )
        if isinstance(about.get("t0"), int | float):
            line["duration"] = round(time.monotonic() - about["t0"], 3)
        # the cases of other requirements this execution served share its verdict
        shared = [dict(s) | {k: line.get(k) for k in ("evidence", "duration")} for s in about.get("shared") or ()]
        store.append(line, *(s for s in shared if s.get("key")))
        store.flush()
        print(f"homolog: {line['key']}: {line.get('message')}", file=sys.stderr, flush=True)

    return record


def _stamp(path: Path) -> tuple[int, int] | None:
    """Which run.json is there (run.json is replaced, never rewritten in place)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns
