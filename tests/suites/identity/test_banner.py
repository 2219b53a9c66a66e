"""Identity banner check through Chromium: clean page passes, page without birth date fails."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from homolog.suites.identity.ui.banner_traits import date_matches, normalise, sex_matches
from homolog.testing import run_check

CHECK = "identity.ui.banner_traits"


def test_trait_comparisons() -> None:
    assert normalise("  Zola-Évêque ") == "ZOLA-EVEQUE"
    assert date_matches("Née le 28/03/1979", "1979-03-28")
    assert not date_matches("28/04/1979", "1979-03-28")
    assert sex_matches("Sexe : Féminin", "female")
    assert not sex_matches("Masculin", "female")


@pytest.mark.browser
def test_banner_passes_on_clean_sut(clean_sut: Any, tmp_path: Path) -> None:
    res = run_check(CHECK, clean_sut.target_path, tmp_path=tmp_path)
    assert res.verdict == "passed", res.message


@pytest.mark.browser
def test_banner_without_birth_date_fails(refsut: Callable[..., Any], tmp_path: Path) -> None:
    sut = refsut(defects={"banner-missing-traits"})
    res = run_check(CHECK, sut.target_path, tmp_path=tmp_path)
    assert res.verdict == "failed", res.message
    assert "birth_date" in (res.message or "")
    assert any(p.suffix == ".png" for p in res.evidence)  # screenshot for the auditor
