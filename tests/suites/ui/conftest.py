"""Fixtures for the UI suite's tests: the known-answer pages and a target for them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from homolog import Evidence, load_target
from homolog.fixtures.a11y_pages import serve_pages, target_document
from homolog.suites.ui.browser import BrowserManager
from homolog.suites.ui.session import UiSession


@pytest.fixture(scope="session")
def a11y_base_url() -> Iterator[str]:
    """Base URL of the known-answer pages, served on 127.0.0.1 for the session."""
    with serve_pages() as base:
        yield base


@pytest.fixture(scope="session")
def a11y_target(a11y_base_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A target file mapping every known-answer page (`low_contrast`, `low_contrast_ok`...)."""
    path = tmp_path_factory.mktemp("a11y-target") / "target.yaml"
    path.write_text(yaml.safe_dump(target_document(a11y_base_url)), encoding="utf-8")
    return path


@pytest.fixture
def ui_session(tmp_path: Path) -> Iterator[Callable[[Path], UiSession]]:
    """Opens a UI session (no trace) on a target file, with a browser of its own; both are
    closed after the test."""
    opened: list[tuple[UiSession, BrowserManager]] = []

    def open_session(target: Path) -> UiSession:
        manager = BrowserManager()
        session = UiSession(manager, load_target(target), Evidence(tmp_path / "ev", "x"), trace=False)
        opened.append((session, manager))
        return session

    yield open_session
    for session, manager in opened:
        session.close(failed=False)
        manager.close()
