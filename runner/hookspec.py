"""What a suite may add to homolog, declared in one place (pluggy hooks of project "homolog").

A suite is a plugin: its package (`homolog.suites.<domain>`, or a third-party module
named in the `homolog.suites` entry-point group) implements any of the hooks below
with `@homolog.hookimpl`, and the engine asks every suite when it needs to know::

    from homolog import RunOption, hookimpl

    @hookimpl
    def homolog_run_options() -> list[RunOption]:
        return [RunOption("--browser-ws", "ui.browser_ws", "remote Playwright browser server",
                          env="HOMOLOG_BROWSER_WS", metavar="URL")]

    @hookimpl
    def homolog_fixture_modules() -> list[str]:
        return ["homolog.suites.ui.fixtures"]

Hooks:

- `homolog_run_options()`: command-line options of `homolog run` / `homolog demo` and of
  the pytest plugin. Each sets one target setting (`<domain>.<key>`): suites read
  settings from the target only. The front ends (the CLI and `homolog.testing`) map the
  option's environment variable, when it has one, to the same setting.
- `homolog_fixture_modules()`: modules whose pytest fixtures the suite's checks take;
  the plugin registers them for a run.
- `homolog_settings_schema()`: `{domain: JSON Schema}` of `settings.<domain>` in a
  target; a run refuses a target whose settings break it, naming the file and key.
- `homolog_counterparts()`: `{name: "module:Class"}` of counterparts the suite brings
  (see `homolog.counterparts`); a target may then declare them under `counterparts:`.
- `homolog_validators()`: `{kind: FileValidator}` for the files a suite knows how to
  validate: `homolog validate <kind> FILE… [options]` runs the command the
  `FileValidator` names, with the suite's own options and the exit codes below.

`homolog validate` exit codes (every validator keeps them): 0 every file is valid, 1 some
file is invalid, 2 some file could not be validated (unreadable, material or package
missing, unknown profile or volet) or the command was used wrongly.

A suite that fails to import does not hide the others: its error is kept
(`SuitePlugins.load_errors`) and reported by `homolog list checks`.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pluggy

__all__ = [
    "VALIDATE_INVALID",
    "VALIDATE_UNDECIDED",
    "VALIDATE_VALID",
    "FileValidator",
    "RunOption",
    "SuitePlugins",
    "hookimpl",
    "hookspec",
    "suite_plugins",
]

hookspec = pluggy.HookspecMarker("homolog")
hookimpl = pluggy.HookimplMarker("homolog")


@dataclass(frozen=True)
class RunOption:
    """A command-line option a suite adds to a run; it sets `setting` in the target's settings.

    `flag` is the long option (`--browser-ws`); `setting` is `<domain>.<key>`; `env` an
    environment variable the front ends read when the option is not given (a value the
    target file sets wins over it; the option given on the command line wins over both).
    `kind`: "text", "path" (made absolute from the current folder) or "paths" (a list,
    separated by `os.pathsep`); `under`: for a path, the setting is that sub-folder of it.
    """

    flag: str
    setting: str
    help: str
    env: str | None = None
    metavar: str = "VALUE"
    kind: str = "text"
    under: str | None = None

    @property
    def dest(self) -> str:
        """The argparse / pytest destination of the option."""
        return "homolog_opt_" + self.flag.lstrip("-").replace("-", "_")

    def value(self, text: str) -> Any:
        """The setting's value from the option's text."""
        import os

        def path(p: str) -> str:
            full = Path(p).expanduser().resolve()
            return str(full / self.under if self.under else full)

        if self.kind == "paths":
            return [path(p) for p in text.split(os.pathsep) if p.strip()]
        if self.kind == "path":
            return path(text)
        return text


#: Exit codes of `homolog validate` (and of every `FileValidator`).
VALIDATE_VALID, VALIDATE_INVALID, VALIDATE_UNDECIDED = 0, 1, 2


@dataclass(frozen=True)
class FileValidator:
    """A suite's validation command for one kind of file (`homolog validate <kind>`).

    `main` is `"module:function"`, imported when the command runs (a suite's package
    stays light): `function(argv, *, settings, stdout, stderr) -> int` parses `argv`
    (the files and the suite's own options, `--format text|json` among them), validates,
    prints, and returns `VALIDATE_VALID` / `VALIDATE_INVALID` / `VALIDATE_UNDECIDED`.
    `settings` are the run settings by domain that the front end read from the
    environment (`{"documents": {"cda_dir": ...}}`): the command reads no environment
    variable itself. An argparse usage error (SystemExit 2) counts as `VALIDATE_UNDECIDED`.
    """

    help: str
    main: str

    def load(self) -> Callable[..., int]:
        """The command's function."""
        module, _, attr = self.main.partition(":")
        function: Callable[..., int] = getattr(importlib.import_module(module), attr)
        return function


class HomologSpec:
    """The hooks a suite may implement (see the module docstring)."""

    @hookspec
    def homolog_run_options(self) -> list[RunOption]:  # type: ignore[empty-body]
        """Command-line options of runs, each setting one target setting."""

    @hookspec
    def homolog_fixture_modules(self) -> list[str]:  # type: ignore[empty-body]
        """Importable names of the modules whose pytest fixtures the suite's checks use."""

    @hookspec
    def homolog_settings_schema(self) -> Mapping[str, Mapping[str, Any]]:  # type: ignore[empty-body]
        """JSON Schemas of `settings.<domain>`, by domain."""

    @hookspec
    def homolog_counterparts(self) -> Mapping[str, str]:  # type: ignore[empty-body]
        """Counterparts the suite brings: name -> "module:Class"."""

    @hookspec
    def homolog_validators(self) -> Mapping[str, FileValidator]:  # type: ignore[empty-body]
        """File validators by kind, for `homolog validate <kind>`."""


class SuitePlugins:
    """The suites, registered as plugins of a pluggy manager, and what they declare."""

    def __init__(self) -> None:
        self.manager = pluggy.PluginManager("homolog")
        self.manager.add_hookspecs(HomologSpec)
        self.load_errors: dict[str, str] = {}
        for name in _suite_packages():
            try:
                module = importlib.import_module(name)
                self.manager.register(module, name)
            except Exception as exc:  # a broken suite must not hide the others
                self.load_errors[name] = "".join(traceback.format_exception_only(type(exc), exc)).strip()

    def run_options(self) -> list[RunOption]:
        options = [o for batch in self.manager.hook.homolog_run_options() for o in batch]
        seen: dict[str, RunOption] = {}
        for opt in options:
            if opt.flag in seen and seen[opt.flag] != opt:
                raise ValueError(f"two suites declare the run option {opt.flag}")
            seen[opt.flag] = opt
        return sorted(seen.values(), key=lambda o: o.flag)

    def fixture_modules(self) -> list[str]:
        return sorted({m for batch in self.manager.hook.homolog_fixture_modules() for m in batch})

    def settings_schemas(self) -> dict[str, list[Mapping[str, Any]]]:
        out: dict[str, list[Mapping[str, Any]]] = {}
        for batch in self.manager.hook.homolog_settings_schema():
            for domain, schema in batch.items():
                out.setdefault(domain, []).append(schema)
        return out

    def counterparts(self) -> dict[str, str]:
        return {k: v for batch in self.manager.hook.homolog_counterparts() for k, v in batch.items()}

    def validators(self) -> dict[str, FileValidator]:
        out: dict[str, FileValidator] = {}
        for batch in self.manager.hook.homolog_validators():
            for kind, validator in batch.items():
                if kind in out and out[kind] != validator:
                    raise ValueError(f"two suites declare the validator {kind!r}")
                out[kind] = validator
        return out


@cache
def suite_plugins() -> SuitePlugins:
    """The suites of this installation, loaded once per process."""
    return SuitePlugins()


def _suite_packages() -> Iterator[str]:
    """Each built-in suite package (`homolog.suites.<domain>`), then third-party suite modules."""
    try:
        suites = importlib.import_module("homolog.suites")
    except ImportError:
        suites = None
    if suites is not None:
        for info in pkgutil.iter_modules(suites.__path__, "homolog.suites."):
            if info.ispkg:
                yield info.name
    for ep in entry_points(group="homolog.suites"):
        yield ep.value


def settings_problems(schemas: Mapping[str, list[Mapping[str, Any]]], settings: Mapping[str, Any]) -> list[str]:
    """`settings.<domain>.<key>: message` for each way a target's settings break a suite's schema."""
    from .schemas import conforms_to

    problems = []
    for domain, domain_schemas in sorted(schemas.items()):
        value = settings.get(domain)
        if value is None:
            continue
        for schema in domain_schemas:
            if conforms_to(schema, value):
                continue
            import jsonschema  # only to word what the compiled validator refused

            for err in jsonschema.Draft202012Validator(schema).iter_errors(value):
                where = ".".join(["settings", domain, *map(str, err.absolute_path)])
                problems.append(f"{where}: {err.message}")
    return problems


def encode_setting(key: str, value: Any) -> str:
    """`key=<json>`: a setting as the plugin's `--homolog-setting` takes it."""
    return f"{key}={json.dumps(value)}"


def decode_setting(text: str) -> tuple[str, Any]:
    """The (key, value) of a `--homolog-setting` argument; ValueError naming it when malformed."""
    key, sep, raw = text.partition("=")
    if not sep or "." not in key:
        raise ValueError(f"--homolog-setting {text!r}: expected <domain>.<key>=<JSON value>")
    try:
        return key, json.loads(raw)
    except ValueError:
        return key, raw  # a bare string
