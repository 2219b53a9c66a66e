"""`homolog demo`: the built-in referentials against the reference SUT, started here.

Composition layer (like `homolog.cli`): it starts the counterparts the reference SUT
calls (Pro Santé Connect, MSSanté, INSi, DMP, e-prescription, the patient identity provider)
through their declared interface
(`homolog.counterparts`), then the reference SUT (`homolog.fixtures.refsut.start_sut`)
wired to them, runs the referential with
`homolog.api.run` (the counterparts handed over, so checks find their control API),
renders the reports, prints a one-screen summary and stops everything — also on
Ctrl-C, SIGTERM and on error.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from homolog.counterparts import Counterpart, start_counterparts

from . import api
from .errors import ConfigError
from .materials import installed_material
from .parallel import usable_cores
from .runstore import default_out_dir

__all__ = [
    "DEFAULT_REFERENTIAL",
    "DEMO_COUNTERPARTS",
    "DemoSystem",
    "demo_cda_material",
    "environment",
    "list_defects",
    "run_demo",
    "started_demo_sut",
]

DEFAULT_REFERENTIAL = "homolog-demo"


def _psc_wiring(psc: Counterpart, workdir: Path) -> dict[str, Any]:
    return {"oidc_issuer": psc.url}


def _mss_wiring(mss: Counterpart, workdir: Path) -> dict[str, Any]:
    # A vendor gets its organisation certificate from its operator (IGC-Santé); in the
    # demo the simulator's CA issues it, for the mailbox the simulator hosts.
    from homolog.counterparts.mss import MssSimulator
    from homolog.fixtures.refsut import MssClientConfig

    if not isinstance(mss, MssSimulator):
        raise TypeError(f"the demo's 'mss' counterpart is a {type(mss).__name__}, not the MSSanté simulator")
    cert, key = mss.write_client_certificate(workdir / "mss-client")
    client = MssClientConfig(
        url=mss.url, sender=mss.mailbox, ca_file=str(mss.ca_file), cert_file=str(cert), key_file=str(key)
    )
    return {"mss": client}


def _soap_ca(name: str, counterpart: Counterpart) -> Path:
    # The SOAP simulators serve HTTPS with a CA they generate: the SUT must trust it.
    from homolog.counterparts.soap import SoapSimulator

    if not isinstance(counterpart, SoapSimulator):
        raise TypeError(f"the demo's {name!r} counterpart is a {type(counterpart).__name__}, not a SOAP simulator")
    return counterpart.ca_file


def _insi_wiring(insi: Counterpart, workdir: Path) -> dict[str, Any]:
    return {"insi_url": insi.url, "insi_ca": _soap_ca("insi", insi)}


def _dmp_wiring(dmp: Counterpart, workdir: Path) -> dict[str, Any]:
    return {"dmp_url": dmp.url, "dmp_ca": _soap_ca("dmp", dmp)}


def _patient_idp_wiring(idp: Counterpart, workdir: Path) -> dict[str, Any]:
    return {"patient_oidc_issuer": idp.url}


def _eprescription_wiring(erx: Counterpart, workdir: Path) -> dict[str, Any]:
    return {"erx_url": erx.url, "erx_ca": _soap_ca("eprescription", erx)}


#: The counterparts the reference SUT calls, and how each is wired into `start_sut`'s arguments.
DEMO_COUNTERPARTS: Mapping[str, Callable[[Counterpart, Path], dict[str, Any]]] = {
    "psc": _psc_wiring,
    "mss": _mss_wiring,
    "insi": _insi_wiring,
    "dmp": _dmp_wiring,
    "patient_idp": _patient_idp_wiring,
    "eprescription": _eprescription_wiring,
}

# The reference SUT's synthetic patients carry test INS: the demo's DMP accepts the test OIDs too.
_DEMO_DMP_INS_OIDS = ["1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10"]


def demo_cda_material(
    settings: Mapping[str, Any] | None = None, defaults: Mapping[str, Any] | None = None
) -> Path | None:
    """The ANS CDA material the demo's DMP simulator checks structure with, as a run would pick it:
    `--cda-dir`, then the published data the reference SUT's target names, then
    `HOMOLOG_CDA_DIR`, then the copy `homolog materials fetch cda` installed."""
    from homolog.fixtures.refsut import reference_data_dir

    given = (settings or {}).get("documents.cda_dir")
    shipped = reference_data_dir()
    fallback = (defaults or {}).get("documents.cda_dir")
    for candidate in (given, shipped / "cda" if shipped else None, fallback, installed_material("cda")):
        if candidate and (Path(candidate) / "infrastructure").is_dir():
            return Path(candidate)
    return None


def _demo_options(workdir: Path, cda_material: Path | None) -> dict[str, dict[str, Any]]:
    """Options of the demo's counterparts (`start_counterparts` specs)."""
    dmp: dict[str, Any] = {"accepted_ins_oids": _DEMO_DMP_INS_OIDS, "workdir": workdir / "dmp"}
    if cda_material is not None:
        dmp["cda_material"] = cda_material
    # The e-prescription service accepts the same test INS domains as the demo's DMP.
    erx = {"accepted_ins_oids": _DEMO_DMP_INS_OIDS, "workdir": workdir / "eprescription"}
    return {"insi": {"workdir": workdir / "insi"}, "dmp": dmp, "eprescription": erx}


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


@dataclass
class DemoSystem:
    """The reference SUT and the counterparts it is wired to, all started."""

    sut: Any  # homolog.fixtures.refsut.RefSut
    counterparts: dict[str, Counterpart] = field(default_factory=dict)

    @property
    def target_path(self) -> Path:
        return Path(self.sut.target_path)

    @property
    def env(self) -> dict[str, str]:
        """The environment variables the SUT's target names (its secrets)."""
        return dict(self.sut.env)

    @property
    def base_https(self) -> str:
        return str(self.sut.base_https)


@contextlib.contextmanager
def started_demo_sut(defects: set[str], workdir: Path, *, cda_material: Path | None = None) -> Iterator[DemoSystem]:
    """The demo's counterparts, then the reference SUT configured to call them; all stopped at the end.

    `cda_material`: the ANS material the DMP simulator checks the CDA structure with
    (default: `demo_cda_material()`).
    """
    from homolog.fixtures.refsut import start_sut

    options = _demo_options(workdir, cda_material or demo_cda_material())
    specs = {name: {"options": options.get(name, {})} for name in DEMO_COUNTERPARTS}
    with start_counterparts(specs) as counterparts:
        wiring: dict[str, Any] = {}
        for name, cp in counterparts.items():
            wiring.update(DEMO_COUNTERPARTS[name](cp, workdir))
        with start_sut(defects, workdir=workdir, **wiring) as sut:
            yield DemoSystem(sut, counterparts)


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


# Processes that run the built-in demo when `-n` is not given. Its checks mostly wait (pages
# settling, the reference system's 3-second session timeout, messages that must not come):
# two processes overlap the waits, on two cores 18-19 s of checks instead of 28-32 s. More
# cost more than they save there: each starts its own Chromium and audits the pages again.
DEMO_WORKERS = 2


def default_workers(referential: str | None, cpus: int | None = None) -> int:
    """Worker processes for `homolog demo` without `-n`: DEMO_WORKERS for the built-in demo
    on a machine with at least as many cores; one process (0) otherwise, and for a
    referential given with `-r` (a short one gains nothing from starting workers)."""
    if cpus is None:
        cpus = usable_cores()
    if referential not in (None, DEFAULT_REFERENTIAL) or cpus < DEMO_WORKERS:
        return 0
    return DEMO_WORKERS


def run_demo(args: argparse.Namespace, settings: Mapping[str, Any], defaults: Mapping[str, Any]) -> int:
    """`homolog demo`; `settings` and `defaults` are the suites' run settings the CLI read."""
    from .console import print_summary, render_reports

    defects = _parse_defects(args.defects)
    referential = args.referential or DEFAULT_REFERENTIAL
    out = Path(args.out) if args.out else default_out_dir("demo" + ("-" + "-".join(sorted(defects)) if defects else ""))
    print(f"homolog demo: starting the reference SUT (defects: {', '.join(sorted(defects)) or 'none'})", flush=True)
    with (
        _terminate_on_sigterm(),
        tempfile.TemporaryDirectory(prefix="homolog-demo-") as tmp,
        started_demo_sut(defects, Path(tmp), cda_material=demo_cda_material(settings, defaults)) as demo,
        environment(demo.env),
    ):
        wired = ", ".join(f"{name} on {cp.url}" for name, cp in demo.counterparts.items())
        workers = args.n if args.n is not None else default_workers(args.referential)
        processes = f" in {workers} processes (-n 0: one)" if workers else ""
        print(f"homolog demo: SUT on {demo.base_https} ({wired}) — running {referential}{processes}", flush=True)
        result = api.run(
            referential,
            demo.target_path,
            out=out,
            keyword=args.k,
            workers=workers,
            settings=settings,
            setting_defaults=defaults,
            counterparts=demo.counterparts,
            shard=args.shard,
            extra=args.pytest_args,
        )
    print_summary(result, render_reports(out, args.report, args.lang))
    sys.stdout.flush()
    return int(result.exit_code)
