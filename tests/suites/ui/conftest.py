"""Fixtures for the UI suite's tests: the known-answer pages and a target for them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from homolog.fixtures.a11y_pages import serve_pages, target_document


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
