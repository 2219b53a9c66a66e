"""`homolog demo`: the built-in referentials against the reference SUT, started here.

Starts the Pro Santé Connect, INSi and DMP simulators and the reference DPI on 127.0.0.1, writes the
SUT's target file, runs the referential, renders the reports, prints a one-screen
summary and stops everything — also on Ctrl-C, SIGTERM and on error.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import yaml

from .errors import ConfigError
from .verdicts import exit_code

__all__ = ["DEFAULT_REFERENTIAL", "environment", "list_defects", "run_demo", "started_demo_sut"]

DEFAULT_REFERENTIAL = "homolog-demo"


def list_defects() -> str:
    from homolog.fixtures.refsut import DEFECTS

    width = max(map(len, DEFECTS))
    return "\n".join(f"{name:<{width}}  {text}" for name, text in sorted(DEFECTS.items()))


def _parse_defects(text: str) -> set[str]:
    from homolog.fixtures.refsut import DEFECTS

    chosen = {d.strip() for d in text.split(",") if d.strip()}
    unknown = sorted(chosen - set(DEFECTS))
    if unknown:
        raise ConfigError(f"unknown defect(s): {', '.join(unknown)}; `homolog demo --list-defects` lists them")
    return chosen


@contextlib.contextmanager
def _terminate_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt so that every `with` block stops its server."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: nothing to install
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def started_demo_sut(defects: set[str], workdir: Path) -> Iterator[Any]:
    """The PSC simulator and the reference SUT wired together; yields the SUT."""
    from homolog.fixtures.refsut import start_sut

    with contextlib.ExitStack() as stack:
        psc = None
        try:
            from homolog.suites.security.psc import PscSimulator
        except ImportError:
            PscSimulator = None  # type: ignore[assignment,misc]
        kwargs: dict[str, Any] = {}
        if PscSimulator is not None:
            psc = stack.enter_context(PscSimulator())
            kwargs.update(oidc_issuer=psc.issuer)
        national = _start_national_services(stack, workdir)
        kwargs.update(national.sut_kwargs)
        sut = stack.enter_context(start_sut(defects, workdir=workdir, **kwargs))
        if psc is not None:
            _record_psc(sut.target_path, psc)
        national.declare(sut.target_path)
        yield sut


class _NationalServices:
    """The INSi and DMP simulators of the demo: how the SUT is configured, how the target says so."""

    def __init__(self, insi: Any, dmp: Any) -> None:
        self.insi, self.dmp = insi, dmp
        self.sut_kwargs = {"insi_url": insi.url, "insi_ca": insi.ca_file, "dmp_url": dmp.url, "dmp_ca": dmp.ca_file}

    def declare(self, target_path: Path) -> None:
        from homolog.counterparts.dmp import declare_dmp
        from homolog.counterparts.insi import declare_insi

        declare_insi(target_path, self.insi)
        declare_dmp(target_path, self.dmp)


def _start_national_services(stack: contextlib.ExitStack, workdir: Path) -> _NationalServices:
    """Start the INSi and DMP simulators the reference DPI calls (stopped with ``stack``)."""
    from homolog.counterparts.dmp import DmpSimulator
    from homolog.counterparts.insi import InsiSimulator

    # The DMP validates CDA documents with the ANS material: the user's copy
    # (HOMOLOG_CDA_DIR), else the published data beside the checkout, as for the SUT's target.
    env_cda = os.environ.get("HOMOLOG_CDA_DIR")
    sibling = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cda"
    cda = Path(env_cda) if env_cda else (sibling if sibling.is_dir() else None)
    insi = stack.enter_context(InsiSimulator(workdir=workdir / "insi"))
    dmp = stack.enter_context(
        DmpSimulator(
            cda_material=cda,
            # Synthetic patients carry test INS: the demo DMP accepts the test OIDs too.
            accepted_ins_oids=("1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10"),
            workdir=workdir / "dmp",
        )
    )
    return _NationalServices(insi, dmp)


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables (the SUT's secrets) for the block, then restore them."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _record_psc(target_path: Path, psc: Any) -> None:
    """Make sure the target names the simulator's issuer and control URL."""
    data = yaml.safe_load(target_path.read_text("utf-8"))
    sec = data.setdefault("settings", {}).setdefault("security", {})
    p = sec.setdefault("psc", {})
    p.setdefault("issuer", psc.issuer)
    p.setdefault("control_url", psc.control_url)
    target_path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def run_demo(args: argparse.Namespace) -> int:
    from .cli import _execute, _render, _summary
    from .plugin import default_out_dir

    defects = _parse_defects(args.defects)
    referential = args.referential or DEFAULT_REFERENTIAL
    out = Path(args.out or default_out_dir("demo" + ("-" + "-".join(sorted(defects)) if defects else "")))
    print(f"homolog demo: starting the reference SUT (defects: {', '.join(sorted(defects)) or 'none'})", flush=True)
    with (
        _terminate_on_sigterm(),
        tempfile.TemporaryDirectory(prefix="homolog-demo-") as tmp,
        started_demo_sut(defects, Path(tmp)) as sut,
        environment(sut.env),
    ):
        print(f"homolog demo: SUT on {sut.base_https} — running {referential}", flush=True)
        doc = _execute(referential, sut.target_path, out, keyword=args.k, workers=args.n, extra=args.pytest_args)
    reports = _render(out, args.report, args.lang)
    _summary(doc, out, reports)
    sys.stdout.flush()
    return int(exit_code(doc["status"]))
