"""Counterparts: simulators of the national services a system under test calls.

Pro Santé Connect, INSi, DMP, MSSanté, e-prescription: a run cannot use the real
ones, so each is simulated on 127.0.0.1, records what the SUT sends, and lets checks
(in any process, xdist workers included) read those records and order misbehaviour
through a control HTTP API whose path holds a secret (the SUT, which knows only the
service URL, cannot steer its own test).

Every counterpart implements `Counterpart`::

    with PscSimulator(host="127.0.0.1", port=0) as psc:   # 0: a free port
        psc.url            # what the SUT is configured to call (PSC: the issuer)
        psc.control_url    # http://127.0.0.1:PORT/_homolog/<secret>: records, orders
        psc.target_additions()   # base_urls entries and settings the run adds to the target

and is known by name in the registry (`COUNTERPARTS`, `counterpart_class`,
`register`). A target may declare the counterparts a run starts and stops itself::

    counterparts:
      psc: {port: 8780}          # the SUT is configured with http://127.0.0.1:8780/...
      insi: {port: 0, options: {...}}

`homolog run` starts them before the checks, adds what they say to the target (so
checks find `settings.counterparts.<name>.control_url`), and stops them at the end.

This package does not import the engine: a simulator is a server and a client of
its control API, nothing else.
"""

from __future__ import annotations

import copy
import importlib
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "COUNTERPARTS",
    "LOOPBACK",
    "Counterpart",
    "CounterpartError",
    "TargetAdditions",
    "add_to_target",
    "counterpart_class",
    "declare",
    "declared",
    "describe",
    "register",
    "start_counterparts",
]

#: Counterparts listen on loopback only: nothing a run starts is reachable from elsewhere.
LOOPBACK = "127.0.0.1"


class CounterpartError(ValueError):
    """A counterpart is unknown, or declared with options it does not take."""


@dataclass(frozen=True)
class TargetAdditions:
    """What a started counterpart adds to the target of a run.

    `base_urls`: entries the checks may reach (the counterpart's origin is in scope);
    `settings`: per-domain keys (e.g. `security.psc.issuer`). Values the target
    already declares win: a mismatch is then for the checks to report.
    """

    base_urls: Mapping[str, str] = field(default_factory=dict)
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"base_urls": dict(self.base_urls), "settings": {k: dict(v) for k, v in self.settings.items()}}


@runtime_checkable
class Counterpart(Protocol):
    """A simulator of a national service, started as a context manager on 127.0.0.1."""

    def __enter__(self) -> Any: ...

    def __exit__(self, *exc: object) -> None: ...

    @property
    def url(self) -> str:
        """The service URL the SUT is configured to call."""
        ...

    @property
    def control_url(self) -> str:
        """Base URL of the control API (records, misbehaviour orders); its path holds a secret."""
        ...

    def target_additions(self) -> TargetAdditions:
        """The base_urls entries and settings this counterpart adds to a run's target."""
        ...


#: Known counterparts: name -> "module:Class" (imported when first asked for).
COUNTERPARTS: dict[str, str] = {
    "dmp": "homolog.counterparts.dmp:DmpSimulator",
    "eprescription": "homolog.counterparts.eprescription:EprescriptionSimulator",
    "insi": "homolog.counterparts.insi:InsiSimulator",
    "mss": "homolog.counterparts.mss:MssSimulator",
    "patient_idp": "homolog.counterparts.patient_idp:PatientIdpSimulator",
    "psc": "homolog.counterparts.psc:PscSimulator",
}
_LOADED: dict[str, Callable[..., Counterpart]] = {}


def register(name: str, factory: Callable[..., Counterpart] | str) -> None:
    """Make a counterpart known by `name`: a class (or "module:Class") taking `host`, `port`, options."""
    if isinstance(factory, str):
        COUNTERPARTS[name] = factory
        _LOADED.pop(name, None)
    else:
        COUNTERPARTS[name] = f"{factory.__module__}:{getattr(factory, '__qualname__', name)}"
        _LOADED[name] = factory


def counterpart_class(name: str) -> Callable[..., Counterpart]:
    """The factory registered under `name`; `CounterpartError` naming the known ones otherwise."""
    if name in _LOADED:
        return _LOADED[name]
    spec = COUNTERPARTS.get(name)
    if spec is None:
        known = ", ".join(sorted(COUNTERPARTS)) or "none"
        raise CounterpartError(f"unknown counterpart {name!r} (known: {known})")
    module, _, attr = spec.partition(":")
    factory: Callable[..., Counterpart] = getattr(importlib.import_module(module), attr)
    _LOADED[name] = factory
    return factory


def declared(raw: Any) -> dict[str, dict[str, Any]]:
    """The `counterparts:` section of a target (name -> {host, port, options}), checked.

    Option keys ending in `_env` name environment variables (secrets such as a client
    secret): they are read here, at start, and never written anywhere.
    """
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise CounterpartError("counterparts: expected a mapping of name -> {host, port, options}")
    out: dict[str, dict[str, Any]] = {}
    for name, spec in raw.items():
        spec = dict(spec or {})
        unknown = set(spec) - {"host", "port", "options"}
        if unknown:
            raise CounterpartError(f"counterparts.{name}: unknown key(s) {', '.join(sorted(unknown))}")
        host = spec.get("host", LOOPBACK)
        if host != LOOPBACK:
            raise CounterpartError(f"counterparts.{name}.host: counterparts listen on {LOOPBACK} only, not {host!r}")
        port = spec.get("port", 0)
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise CounterpartError(f"counterparts.{name}.port: expected 0 (any free port) to 65535, got {port!r}")
        options: dict[str, Any] = {}
        for key, value in dict(spec.get("options") or {}).items():
            if key.endswith("_env"):
                secret = os.environ.get(str(value))
                if not secret:
                    raise CounterpartError(
                        f"counterparts.{name}.options.{key}: environment variable {value} is not set"
                    )
                options[key.removesuffix("_env")] = secret
            else:
                options[key] = value
        counterpart_class(name)  # unknown names are refused before anything starts
        out[str(name)] = {"host": host, "port": port, "options": options}
    return out


@contextmanager
def start_counterparts(specs: Mapping[str, Mapping[str, Any]]) -> Iterator[dict[str, Counterpart]]:
    """Start each declared counterpart (see `declared`); all are stopped when the block ends."""
    with ExitStack() as stack:
        started: dict[str, Counterpart] = {}
        for name, spec in specs.items():
            factory = counterpart_class(name)
            try:
                instance = factory(host=spec.get("host", LOOPBACK), port=spec.get("port", 0), **spec.get("options", {}))
            except TypeError as exc:
                raise CounterpartError(f"counterparts.{name}: {exc}") from None
            try:
                stack.enter_context(instance)
            except OSError as exc:
                where = f"{spec.get('host', LOOPBACK)}:{spec.get('port', 0)}"
                raise CounterpartError(
                    f"counterparts.{name}: cannot listen on {where} ({exc.strerror or exc})"
                ) from None
            started[name] = instance
        yield started


def describe(name: str, counterpart: Counterpart) -> dict[str, Any]:
    """What a started counterpart contributes to a run, as JSON (sent to xdist workers as is).

    Besides its own additions, every counterpart is recorded under
    `settings.counterparts.<name>` with its `url` and `control_url`.
    """
    additions = counterpart.target_additions()
    settings = {k: dict(v) for k, v in additions.settings.items()}
    settings.setdefault("counterparts", {})[name] = {"url": counterpart.url, "control_url": counterpart.control_url}
    return {"base_urls": dict(additions.base_urls), "settings": settings}


def add_to_target(raw: Mapping[str, Any], described: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A copy of a target document with what each counterpart contributes (see `describe`).

    Keys the target already has win (base URLs and settings leaves alike): a target
    that says another issuer than the simulator serves keeps it, and the check that
    compares them reports the mismatch.
    """
    out = copy.deepcopy(dict(raw))
    for contribution in described.values():
        base_urls = out.setdefault("base_urls", {})
        for key, url in contribution.get("base_urls", {}).items():
            base_urls.setdefault(key, url)
        settings = out.setdefault("settings", {})
        _merge_missing(settings, contribution.get("settings", {}))
    return out


def _merge_missing(into: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge_missing(into[key], value)
        elif isinstance(value, Mapping) and key not in into:
            into[key] = copy.deepcopy(dict(value))
        else:
            into.setdefault(key, value)


def declare(target_path: Path, name: str, counterpart: Counterpart) -> None:
    """Write what a started counterpart contributes into a target file (tests, hand-made set-ups).

    The file is rewritten with ``yaml.safe_dump`` (comments are lost). `homolog run`
    never does this: it adds the contributions to the loaded target only.
    """
    import yaml

    doc = yaml.safe_load(target_path.read_text(encoding="utf-8")) or {}
    doc = add_to_target(doc, {name: describe(name, counterpart)})
    target_path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
