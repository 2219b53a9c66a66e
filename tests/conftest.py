"""Shared fixtures for homolog's own tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, settings

if TYPE_CHECKING:
    from homolog.fixtures.refsut import RefSut

REPO_ROOT = Path(__file__).resolve().parent.parent

# The property tests assert properties, not speed: hypothesis' per-example deadline (200 ms)
# and its slow-generation health check are timed assertions that a loaded machine (the
# defect matrix runs five demos beside them) can fail. Speed is measured in bench/.
settings.register_profile("homolog-tests", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("homolog-tests")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout's root folder."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Published data beside the project (`../shared/data`): FR Core, RGAA, ANS CDA."""
    path = REPO_ROOT.parent / "shared" / "data"
    if not path.is_dir():
        pytest.fail(f"shared data not found at {path}: these tests need ../shared/data")
    return path


@pytest.fixture
def session_lapse(monkeypatch: pytest.MonkeyPatch) -> Callable[..., list[str]]:
    """``session_lapse(path, times, method="POST")``: in reference systems started in this
    process, the web session lapses at the first ``times`` requests (POSTs by default) to a
    path ending with ``path``, as a short session timeout does when the browser is slow to
    submit a form or follow a link. Returns the list the paths of the requests that found
    their session lapsed are appended to."""
    from flask import has_request_context, request

    from homolog.fixtures.refsut.state import SutState

    original = SutState.get_session
    lapsed: list[str] = []
    rule: dict[str, Any] = {}

    def get_session(self: SutState, sid: str | None) -> Any:
        if (
            rule
            and has_request_context()
            and request.method == rule["method"]
            and request.path.endswith(rule["path"])
            and len(lapsed) < rule["times"]
        ):
            lapsed.append(request.path)
            self.drop_session(sid)
        return original(self, sid)

    def arm(path: str, times: int = 1, method: str = "POST") -> list[str]:
        rule.update(path=path, times=times, method=method)
        monkeypatch.setattr(SutState, "get_session", get_session)
        return lapsed

    return arm


@pytest.fixture
def refsut(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., RefSut]]:
    """Factory: ``refsut(defects={...}, **kw)`` starts a reference SUT, stopped at teardown.

    The environment variables its target names are set (and restored) with monkeypatch.
    """
    from homolog.fixtures.refsut import start_sut

    started: list[RefSut] = []

    def factory(defects: Iterable[str] = (), **kw: Any) -> RefSut:
        kw.setdefault("workdir", tmp_path_factory.mktemp("refsut"))
        sut = start_sut(defects, **kw)
        started.append(sut)
        for key, value in sut.env.items():
            monkeypatch.setenv(key, value)
        return sut

    yield factory
    for sut in started:
        sut.stop()


@pytest.fixture(scope="session")
def clean_sut(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RefSut]:
    """One reference SUT without defects for the whole session (env vars set meanwhile).

    Shared: tests must not lock its accounts or change its passwords.
    """
    from homolog.fixtures.refsut import start_sut

    sut = start_sut(workdir=tmp_path_factory.mktemp("clean-sut"))
    patcher = pytest.MonkeyPatch()
    for key, value in sut.env.items():
        patcher.setenv(key, value)
    try:
        yield sut
    finally:
        patcher.undo()
        sut.stop()
