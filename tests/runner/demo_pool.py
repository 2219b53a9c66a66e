"""Demo runs against reference SUTs that are started once and switched between runs.

A ``DemoPool`` starts a few demo SUTs (PSC simulator + reference SUT with its control
endpoint, as ``homolog demo`` wires them) and runs the demo referential against them,
several at once, one run per SUT at a time. Before each run the SUT's state is rebuilt
with the run's defects and the simulator is reset (``switch``); a run after the first on
a SUT follows a whole run that locked accounts, changed passwords and created patients.

Each run is a pytest process with the arguments ``homolog run`` uses: the checks keep
per-process observations keyed by the SUT's URL (the lockout check remembers it locked
``bob``), which must not cross from one run into the next on the same URL.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from homolog.demo import DEFAULT_REFERENTIAL, started_demo_sut
from homolog.testing import pytest_args

RUN_TIMEOUT = 900  # seconds for one demo run (a clean run takes about a minute)


@dataclass
class Run:
    """One demo run: run.json, the defects, the SUT's addresses (to compare messages)."""

    defects: frozenset[str]
    doc: dict[str, Any]
    addresses: dict[str, str]
    history: list[frozenset[str]] = field(default_factory=list)  # earlier runs on the same SUT

    def verdicts(self) -> dict[str, str]:
        """Requirement id -> verdict."""
        return {r["id"]: r["verdict"] for r in self.doc["requirements"]}

    def outcomes(self) -> dict[str, tuple[str, str | None]]:
        """Check result key -> (verdict, message) with this SUT's addresses made neutral."""
        out: dict[str, tuple[str, str | None]] = {}
        for req in self.doc["requirements"]:
            for chk in req.get("checks") or []:
                key = f"{req['id']}::{chk['check']}::{json.dumps(chk.get('params'), sort_keys=True)}"
                out[key] = (chk["verdict"], self._neutral(chk.get("message")))
        return out

    def _neutral(self, message: str | None) -> str | None:
        if message is None:
            return None
        for name, address in sorted(self.addresses.items(), key=lambda kv: -len(kv[1])):
            message = message.replace(address, f"<{name}>")
        return re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:<port>", message)


def addresses_of(sut: Any) -> dict[str, str]:
    """What differs between two SUT instances and may appear in a message."""
    target = yaml.safe_load(sut.target_path.read_text("utf-8"))
    found = {"web": sut.base_https, "web_http": sut.base_http, "workdir": str(sut.workdir)}
    psc = target.get("base_urls", {}).get("psc")
    if psc:
        found["psc"] = psc
        found["psc_origin"] = re.sub(r"^(https?://[^/]+).*$", r"\1", psc)
    return found


def demo_run(sut: Any, out: Path, history: Iterable[frozenset[str]] = ()) -> Run:
    """Run the demo referential against ``sut`` in a pytest process; return its results."""
    out.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")} | sut.env
    log = out.parent / f"{out.name}.log"
    with log.open("wb") as sink:
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", *pytest_args(DEFAULT_REFERENTIAL, sut.target_path, out)],
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
    doc = json.loads(run_json.read_text("utf-8"))
    return Run(frozenset(sut.defects), doc, addresses_of(sut), list(history))


class DemoSut:
    """A demo SUT (simulator + reference SUT) whose defects are switched between runs."""

    def __init__(self, sut: Any) -> None:
        self.sut = sut
        self.control = sut.start_control()
        target = yaml.safe_load(sut.target_path.read_text("utf-8"))
        self.psc_control: str | None = target["settings"]["security"].get("psc", {}).get("control_url")
        self.history: list[frozenset[str]] = []

    def switch(self, defects: Iterable[str]) -> None:
        """Fresh SUT state with these defects, and a simulator that forgets past logins."""
        self.control.reset(defects)
        if self.psc_control:
            httpx.post(f"{self.psc_control}/reset", timeout=10, trust_env=False).raise_for_status()

    def run(self, defects: Iterable[str], out: Path) -> Run:
        chosen = frozenset(defects)
        try:
            self.switch(chosen)
            return demo_run(self.sut, out, self.history)
        finally:
            self.history.append(chosen)


class DemoPool:
    """``size`` demo SUTs and as many runs at once; results memoised per defect set."""

    def __init__(self, workdir: Path, size: int) -> None:
        self.workdir = workdir
        self.size = size
        self._stack = contextlib.ExitStack()
        self._idle: list[DemoSut] = []
        self._idle_changed = threading.Condition()
        self._futures: dict[frozenset[str], Future[Run]] = {}
        self._fresh: dict[frozenset[str], Future[Run]] = {}
        self._lock = threading.Lock()
        self._count = 0
        try:
            for i in range(size):
                self._idle.append(DemoSut(self._stack.enter_context(started_demo_sut(set(), workdir / f"sut-{i}"))))
        except BaseException:
            self._stack.close()
            raise
        self._executor = ThreadPoolExecutor(size, thread_name_prefix="demo-run")

    def _checkout(self, switched: bool) -> DemoSut:
        """An idle SUT, one that has already run first; ``switched``: only such a one."""
        with self._idle_changed:
            while True:
                ready = [d for d in self._idle if d.history or not switched]
                if ready:
                    demo = max(ready, key=lambda d: len(d.history))
                    self._idle.remove(demo)
                    return demo
                self._idle_changed.wait()

    def _job(self, defects: frozenset[str], switched: bool) -> Run:
        demo = self._checkout(switched)
        with self._lock:
            self._count += 1
            name = f"run-{self._count:03d}-{'-'.join(sorted(defects)) or 'clean'}"
        try:
            return demo.run(defects, self.workdir / "runs" / name)
        finally:
            with self._idle_changed:
                self._idle.append(demo)
                self._idle_changed.notify_all()

    def submit(self, defects: Iterable[str], *, switched: bool = False) -> Future[Run]:
        """The run with these defects, started now unless already started (memoised).

        ``switched``: on a SUT that has already run something (the clean run is queued
        first, so that such a SUT exists).
        """
        key = frozenset(defects)
        if switched and key:
            self.submit(())
        with self._lock:
            if key not in self._futures:
                self._futures[key] = self._executor.submit(self._job, key, switched)
            return self._futures[key]

    def result(self, defects: Iterable[str]) -> Run:
        return self.submit(defects).result()

    def switched_result(self, defects: Iterable[str]) -> Run:
        """The run with these defects on a SUT that ran before (run again if needed)."""
        run = self.submit(defects, switched=True).result()
        if run.history:
            return run
        self.submit(())
        return self._executor.submit(self._job, frozenset(defects), True).result()

    def submit_fresh(self, defects: Iterable[str]) -> Future[Run]:
        """A run against a SUT started for it, in the same pool of workers (memoised)."""
        key = frozenset(defects)
        with self._lock:
            if key not in self._fresh:
                workdir = self.workdir / "fresh" / ("-".join(sorted(key)) or "clean")
                self._fresh[key] = self._executor.submit(fresh_demo_run, key, workdir)
            return self._fresh[key]

    def close(self) -> None:
        for future in [*self._futures.values(), *self._fresh.values()]:
            future.cancel()
        self._executor.shutdown(wait=True)
        self._stack.close()

    def __enter__(self) -> DemoPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def fresh_demo_run(defects: Iterable[str], workdir: Path) -> Run:
    """One demo run against a SUT started for it (what a switched run is compared to)."""
    with started_demo_sut(set(defects), workdir / "sut") as sut:
        return demo_run(sut, workdir / "run")
