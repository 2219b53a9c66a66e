"""The environment variables of homolog, read in one place: the front ends (CLI, test helpers).

Suites and the engine never read the environment for configuration; they read target
settings. A suite's run option may name a variable (`RunOption.env`): when the option
is not given, the front end reads the variable here and hands its value to the run as
a default setting (a value the target file sets wins). Secrets are the exception by
design: a target names the variables that hold them and they are read at use.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .hookspec import RunOption

__all__ = ["REFERENTIALS_ENV", "referential_paths", "setting_defaults"]

#: Extra folders of referentials, separated by `os.pathsep`.
REFERENTIALS_ENV = "HOMOLOG_REFERENTIALS"


def setting_defaults(options: Iterable[RunOption], environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """`<domain>.<key>` -> value for each run option whose environment variable is set."""
    env = os.environ if environ is None else environ
    return {o.setting: o.value(env[o.env]) for o in options if o.env and env.get(o.env, "").strip()}


def referential_paths(environ: Mapping[str, str] | None = None) -> list[Path]:
    """The folders `HOMOLOG_REFERENTIALS` names (searched after `--path`, before the built-ins)."""
    env = os.environ if environ is None else environ
    return [Path(p).expanduser() for p in env.get(REFERENTIALS_ENV, "").split(os.pathsep) if p.strip()]
