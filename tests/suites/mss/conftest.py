"""Fixtures of the MSSanté suite's tests: a simulator and a reference DPI configured with it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from homolog.counterparts.mss import MssSimulator, declare_simulator
from homolog.fixtures.refsut import MssClientConfig, RefSut

# The sample messages (mss_samples) are shared with the simulator's tests (tests/counterparts).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "counterparts"))


@pytest.fixture
def mss_sut(refsut: Callable[..., RefSut], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Any]]:
    """Factory: ``mss_sut(defects)`` -> (simulator, SUT), the SUT sending through the simulator."""
    sims: list[MssSimulator] = []

    def start(defects: frozenset[str] | set[str] = frozenset(), **kw: Any) -> tuple[MssSimulator, RefSut]:
        sim = MssSimulator().start()
        sims.append(sim)
        work = tmp_path_factory.mktemp("mss-sut")
        cert, key = sim.write_client_certificate(work)
        config = MssClientConfig(
            url=sim.url, sender=sim.mailbox, ca_file=str(sim.ca_file), cert_file=str(cert), key_file=str(key)
        )
        sut = refsut(defects, workdir=work, mss=config, **kw)
        declare_simulator(sut.target_path, sim)
        return sim, sut

    yield start
    for sim in sims:
        sim.stop()
