"""INSi checks against the reference DPI wired to the INSi simulator: pass when clean,
fail with their defect, and an undecidable situation ends ``error``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from homolog.counterparts.insi import InsiSimulator, declare_simulator
from homolog.testing import run_check

# (check id, params, defect that must make it fail)
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("identity.insi.search_traits", {}, "insi-traits-not-sent"),
    ("identity.insi.returned_traits_stored", {}, "insi-traits-not-sent"),
    ("identity.insi.unverified_ins_refused", {"status": "QUAL"}, "ins-stored-without-call"),
    ("identity.insi.unverified_ins_refused", {"status": "RECUP"}, "ins-stored-without-call"),
]
CLEAN_ONLY: list[tuple[str, dict[str, Any]]] = [
    ("identity.insi.status_per_answer", {"answer": "found"}),
    ("identity.insi.status_per_answer", {"answer": "not_found"}),
    ("identity.insi.status_per_answer", {"answer": "multiple"}),
    # Checks that create identities with an INS still pass once the DPI verifies every INS.
    ("identity.traits.strict_readonly", {"trait": "birth_name"}),
    ("identity.ins.not_exposed_unqualified", {}),
]


@pytest.fixture(scope="module")
def insi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InsiSimulator]:
    with InsiSimulator(workdir=tmp_path_factory.mktemp("insi")) as sim:
        yield sim


@pytest.fixture
def wired(refsut: Callable[..., Any], insi: InsiSimulator) -> Callable[..., Any]:
    """Factory: a reference DPI calling the INSi simulator, its target declaring it."""

    def start(defects: set[str] = frozenset()) -> Any:  # type: ignore[assignment]
        sut = refsut(defects=defects, insi_url=insi.url, insi_ca=insi.ca_file)
        declare_simulator(sut.target_path, insi)
        return sut

    return start


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, insi: InsiSimulator) -> Iterator[Any]:
    from homolog.fixtures.refsut import start_sut

    sut = start_sut(workdir=tmp_path_factory.mktemp("sut"), insi_url=insi.url, insi_ca=insi.ca_file)
    declare_simulator(sut.target_path, insi)
    yield sut
    sut.stop()


@pytest.fixture
def clean_env(clean: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The module's clean DPI with its secrets in the environment for one test only."""
    for key, value in clean.env.items():
        monkeypatch.setenv(key, value)
    return clean


def _ident(case: tuple[Any, ...]) -> str:
    return f"{case[0]}{''.join(f'-{v}' for v in case[1].values())}"


@pytest.mark.parametrize(
    ("check_id", "params"),
    [(c[0], c[1]) for c in CASES] + CLEAN_ONLY,
    ids=[_ident(c) for c in CASES] + [_ident(c) for c in CLEAN_ONLY],
)
def test_passes_on_clean_sut(clean_env: Any, tmp_path: Path, check_id: str, params: dict[str, Any]) -> None:
    res = run_check(check_id, clean_env.target_path, tmp_path=tmp_path, params=params)
    assert res.verdict == "passed", res.message


@pytest.mark.parametrize(("check_id", "params", "defect"), CASES, ids=[f"{_ident(c)}-{c[2]}" for c in CASES])
def test_fails_with_its_defect(
    wired: Callable[..., Any], tmp_path: Path, check_id: str, params: dict[str, Any], defect: str
) -> None:
    sut = wired({defect})
    res = run_check(check_id, sut.target_path, tmp_path=tmp_path, params=params)
    assert res.verdict == "failed", res.message
    assert res.message


def test_missing_traits_are_named(wired: Callable[..., Any], tmp_path: Path) -> None:
    sut = wired({"insi-traits-not-sent"})
    res = run_check("identity.insi.search_traits", sut.target_path, tmp_path=tmp_path)
    assert res.verdict == "failed"
    assert "Sexe is missing" in (res.message or "")
    assert "DateNaissance is missing" in (res.message or "")
    assert any(p.name.endswith("insi-exchanges.json") for p in res.evidence)


def test_without_insi_simulator_the_check_cannot_decide(clean_sut: Any, tmp_path: Path) -> None:
    res = run_check("identity.insi.search_traits", clean_sut.target_path, tmp_path=tmp_path)
    assert res.verdict == "error"
    assert "no counterpart 'insi'" in (res.message or "")


def test_status_without_the_prepared_answer_is_an_error(wired: Callable[..., Any], tmp_path: Path) -> None:
    # The faulty search never gets the 02 answer: the status cannot be judged against it.
    sut = wired({"insi-traits-not-sent"})
    res = run_check(
        "identity.insi.status_per_answer", sut.target_path, tmp_path=tmp_path, params={"answer": "multiple"}
    )
    assert res.verdict == "error"
    assert "cannot be judged" in (res.message or "")


@pytest.mark.parametrize(
    ("corrupt", "reason"),
    [
        (lambda body: body[: len(body) // 2], "not well-formed XML"),
        (
            lambda body: body.replace(
                b"<?xml version='1.0' encoding='UTF-8'?>",
                b"<?xml version='1.0'?><!DOCTYPE e [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>",
                1,
            ),
            "declares a DTD",
        ),
    ],
    ids=["malformed-soap", "xxe"],
)
def test_hostile_insi_request_fails_the_check_with_the_reason(
    wired: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, corrupt: Any, reason: str
) -> None:
    from homolog.fixtures.refsut import insi as refsut_insi

    original = refsut_insi._envelope
    monkeypatch.setattr(refsut_insi, "_envelope", lambda *a, **kw: corrupt(original(*a, **kw)))
    sut = wired()
    res = run_check("identity.insi.search_traits", sut.target_path, tmp_path=tmp_path)
    assert res.verdict == "failed", res.message
    assert reason in (res.message or "")
