"""The one way to run a referential against a target: `homolog.api.run`.

    result = run("segur-dpi@2.0.0", "target.yaml", out=Path("runs/today"))
    result.status, result.exit_code, result.run_dir, result.document.requirements

The CLI (`homolog run`), the demo (`homolog demo`) and the test helpers
(`homolog.testing`) all come through here. A run is an in-process `pytest.main` on
the engine's single case function with the homolog plugin: `-k`, `-n` (xdist),
`--junitxml` and other pytest options keep working, and the plugin streams results
into the run directory, then writes run.json.

Counterparts (simulated national services) reach a run two ways: the ones the
target declares under `counterparts:` are started and stopped by the run itself;
the ones a caller already started (the demo starts Pro Santé Connect before the
reference SUT, which must know its address) are passed as `counterparts=`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .errors import ConfigError, HomologError
from .runfile import RunDocument, read_run
from .runstore import default_out_dir
from .verdicts import ExitCode, RunStatus, exit_code

__all__ = ["RunResult", "default_out_dir", "pytest_args", "run"]

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
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        args += ["-p", "homolog.plugin"]
    if resume:
        args.append("--homolog-resume")
    if keyword:
        args += ["-k", keyword]
    if workers:
        args += ["-n", str(workers)]
    if attestations:
        args += ["--homolog-attestations", str(attestations)]
    if waivers:
        args += ["--homolog-waivers", str(waivers)]
    for p in paths:
        args += ["--homolog-path", str(p)]
    return args + list(extra)


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
    extra: Sequence[str] = (),
) -> RunResult:
    """Run `referential` (a path, `id` or `id@version`) against the target file `target`.

    `out` is the run directory (`default_out_dir` when None; with `resume`, the run to
    continue). `settings` (`<domain>.<key>` -> value) replace what the target file says;
    `setting_defaults` fill what it leaves out. `counterparts` maps names to counterparts already started
    (`homolog.counterparts.Counterpart`); the target's own `counterparts:` are started
    here. Raises `ConfigError` when the run cannot start (the reason was printed by
    pytest) and `HomologError` when it ended without a run document.
    """
    from homolog.counterparts import describe

    from .hookspec import encode_setting

    run_dir = Path(out) if out is not None else default_out_dir(referential)
    run_dir.mkdir(parents=True, exist_ok=True)
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
        extra=[
            *(a for k, v in (settings or {}).items() for a in ("--homolog-setting", encode_setting(k, v))),
            *(a for k, v in (setting_defaults or {}).items() for a in ("--homolog-default", encode_setting(k, v))),
            *extra,
        ],
    )
    described = {name: describe(name, cp) for name, cp in (counterparts or {}).items()}
    code = pytest.main(args, plugins=[_Started(described)] if described else None)
    if code == pytest.ExitCode.USAGE_ERROR:
        raise ConfigError("the run could not start (see the message above)")
    if not (run_dir / "run.json").exists():
        raise HomologError(f"pytest ended with code {int(code)} and no run.json was written in {run_dir}")
    return RunResult(run_dir, read_run(run_dir), int(code))
