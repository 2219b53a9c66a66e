"""Demo runs of the defect matrix, several at once, each against a demo system started for it.

A ``DemoPool`` runs the demo referential in ``size`` pytest processes at a time. Every run
gets its own demo system (the counterparts ``homolog demo`` starts — PSC, MSSanté, INSi,
DMP simulators — and the reference SUT wired to them) started with the run's defects and
stopped after it: the simulators keep what they received (documents fed to the DMP,
letters, logins), so a system reused from an earlier run would carry that run into the
next one's verdicts.

Each run is a pytest process with the arguments ``homolog run`` uses, and a target that
holds what the started counterparts add to it (as ``homolog.api.run`` adds them in-process).
A run with defects records no Playwright trace (``settings.ui.trace: false``): the matrix
compares verdicts and messages, which tracing does not decide (a test shows it), and the
clean runs they are compared with keep their traces.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import yaml

from homolog.api import pytest_args
from homolog.counterparts import add_to_target, describe
from homolog.demo import DEFAULT_REFERENTIAL, DemoSystem, environment, started_demo_sut
from homolog.environment import referential_paths, setting_defaults
from homolog.hookspec import encode_setting, suite_plugins

T = TypeVar("T")

RUN_TIMEOUT = 900  # seconds for one demo run (a clean run takes about a minute)


@dataclass
class Run:
    """One demo run: run.json and the defects it ran with."""

    defects: frozenset[str]
    doc: dict[str, Any]
    addresses: dict[str, str]  # host:port -> <name>: what differs between two demo systems
    run_dir: Path

    def verdicts(self) -> dict[str, str]:
        """Requirement id -> verdict."""
        return {r["id"]: r["verdict"] for r in self.doc["requirements"]}


#: Held to read os.environ whole or to change it: a job of the pool that sets a system's
#: secrets there (`pool_environment`) must not change it while another run copies it.
ENVIRON_LOCK = threading.Lock()


@contextlib.contextmanager
def pool_environment(values: dict[str, str]) -> Iterator[None]:
    """`homolog.demo.environment` for a job running beside the pool's runs."""
    block = environment(values)
    with ENVIRON_LOCK:
        block.__enter__()
    try:
        yield
    finally:
        with ENVIRON_LOCK:
            block.__exit__(None, None, None)


def demo_run(demo: DemoSystem, out: Path, referential: str = DEFAULT_REFERENTIAL, *, workers: int = 0) -> Run:
    """Run ``referential`` (the demo's by default) against ``demo`` in a pytest process (with
    ``workers`` xdist workers when not 0); return its results."""
    out.mkdir(parents=True, exist_ok=True)
    raw = yaml.safe_load(demo.target_path.read_text("utf-8"))
    described = {name: describe(name, cp) for name, cp in demo.counterparts.items()}
    target = demo.target_path.with_name("target-with-counterparts.yaml")  # its relative paths stay valid
    target.write_text(yaml.safe_dump(add_to_target(raw, described), sort_keys=False, allow_unicode=True), "utf-8")
    with ENVIRON_LOCK:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")} | demo.env
    log = out.parent / f"{out.name}.log"
    # the defaults `homolog run` gives the suites' settings the target leaves out
    defaults = setting_defaults(suite_plugins().run_options())
    extra = [a for k, v in defaults.items() for a in ("--homolog-default", encode_setting(k, v))]
    if demo.sut.defects:
        extra += ["--homolog-setting", encode_setting("ui.trace", False)]
    if workers:
        extra += ["-n", str(workers), "--dist", "loadgroup"]
    args = pytest_args(referential, target, out, paths=referential_paths(), extra=extra)
    with log.open("wb") as sink:
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", *args],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
            timeout=RUN_TIMEOUT,
            check=False,
        )
    run_json = out / "run.json"
    if not run_json.exists():
        tail = log.read_text("utf-8", "replace")[-3000:]
        raise RuntimeError(f"demo run exited {proc.returncode} without {run_json}; log {log}:\n{tail}")
    return Run(frozenset(demo.sut.defects), json.loads(run_json.read_text("utf-8")), addresses_of(demo), out)


def addresses_of(demo: DemoSystem) -> dict[str, str]:
    """host:port -> <base name>, for the SUT and every counterpart of one demo system.

    Each system's SUT and simulators listen on free ports of their own: the one thing two
    identical runs may say differently, so addresses are named, not numbered.
    """
    urls: dict[str, str] = dict(yaml.safe_load(demo.target_path.read_text("utf-8"))["base_urls"])
    for name, counterpart in demo.counterparts.items():
        urls[name] = counterpart.url
        urls.update(counterpart.target_additions().base_urls)
    return {urlsplit(url).netloc: f"<{name}>" for name, url in sorted(urls.items())}


def fresh_demo_run(
    defects: Iterable[str], workdir: Path, referential: str = DEFAULT_REFERENTIAL, workers: int = 0
) -> Run:
    """One run of ``referential`` against a demo system started for it with ``defects``."""
    with started_demo_sut(set(defects), workdir / "sut") as demo:
        return demo_run(demo, workdir / "run", referential, workers=workers)


class DemoPool:
    """Up to ``size`` demo runs at once; results memoised per referential, defect set, repeat
    and xdist workers."""

    def __init__(self, workdir: Path, size: int) -> None:
        self.workdir = workdir
        self._executor = ThreadPoolExecutor(size, thread_name_prefix="demo-run")
        self._futures: dict[tuple[str, frozenset[str], int, int], Future[Run]] = {}
        self._jobs: dict[str, Future[Any]] = {}
        self._lock = threading.Lock()

    def submit(
        self, defects: Iterable[str], *, repeat: int = 0, referential: str = DEFAULT_REFERENTIAL, workers: int = 0
    ) -> Future[Run]:
        """The run of ``referential`` with these defects (``repeat``: another identical run;
        ``workers``: in that many xdist workers), queued now unless already queued."""
        key = (referential, frozenset(defects), repeat, workers)
        with self._lock:
            if key not in self._futures:
                name = "-".join(sorted(key[1])) or "clean"
                if referential != DEFAULT_REFERENTIAL:
                    name = f"{referential}-{name}"
                name = re.sub(r"[^a-z0-9-]+", "-", name) + (f"-{repeat}" if repeat else "")
                name += f"-n{workers}" if workers else ""
                self._futures[key] = self._executor.submit(
                    fresh_demo_run, key[1], self.workdir / name, referential, workers
                )
            return self._futures[key]

    def result(
        self, defects: Iterable[str], *, repeat: int = 0, referential: str = DEFAULT_REFERENTIAL, workers: int = 0
    ) -> Run:
        return self.submit(defects, repeat=repeat, referential=referential, workers=workers).result()

    def submit_job(self, name: str, job: Callable[[Path], T]) -> Future[T]:
        """Any other work on demo systems, queued with the runs (``job`` gets a fresh folder of
        its own); submitted again under the same name, the same future."""
        with self._lock:
            if name not in self._jobs:
                folder = self.workdir / f"job-{name}"
                folder.mkdir(parents=True)
                self._jobs[name] = self._executor.submit(job, folder)
            return self._jobs[name]

    def close(self) -> None:
        for future in [*self._futures.values(), *self._jobs.values()]:
            future.cancel()
        self._executor.shutdown(wait=True)

    def __enter__(self) -> DemoPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
