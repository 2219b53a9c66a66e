from __future__ import annotations

from pathlib import Path

import pytest
from engine_support import requirement, write_referential

from homolog.errors import ReferentialError
from homolog.referential import load_referential


def _socle(tmp: Path) -> Path:
    (tmp / "socle").mkdir()
    reqs = [requirement(f"SSI/IAM.{n:02d}", "engine.outcome.fail") for n in (80, 91, 92)]
    reqs.append(requirement("SSI/IE.39", attestation={"evidence": "capture"}))
    return write_referential(tmp / "socle" / "ssi-1.0.0.yaml", reqs, id="ssi", version="1.0.0")


def test_load_by_path_and_model_is_immutable(tmp_path: Path) -> None:
    path = _socle(tmp_path)
    ref = load_referential(path)
    assert ref.ref == "ssi@1.0.0"
    assert [r.id for r in ref.requirements] == ["SSI/IAM.80", "SSI/IAM.91", "SSI/IAM.92", "SSI/IE.39"]
    assert ref.requirement("SSI/IE.39").kind == "manual"
    with pytest.raises(AttributeError):
        ref.id = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        ref.requirements[0].checks[0].params["x"] = 1  # type: ignore[index]


def test_include_select_exclude_and_applies_to(tmp_path: Path) -> None:
    _socle(tmp_path)
    (tmp_path / "prog").mkdir()
    prog = write_referential(
        tmp_path / "prog" / "dpi-2.0.0.yaml",
        [requirement("DPI.01", attestation={"evidence": "x"})],
        id="dpi",
        version="2.0.0",
        include=[
            {
                "referential": "ssi",
                "version": "1.0.0",
                "select": ["SSI/IAM.*"],
                "exclude": ["SSI/IAM.80"],
                "applies_to": {"modules": ["psc"]},
            }
        ],
    )
    ref = load_referential(prog)
    assert [r.id for r in ref.requirements] == ["SSI/IAM.91", "SSI/IAM.92", "DPI.01"]
    assert ref.requirement("SSI/IAM.91").origin == "ssi@1.0.0"
    assert ref.requirement("SSI/IAM.91").applies_to["modules"] == ("psc",)
    assert {s["ref"] for s in ref.sources} == {"dpi@2.0.0", "ssi@1.0.0"}
    assert len(ref.sha256) == 64


def test_pattern_matching_nothing_is_an_error(tmp_path: Path) -> None:
    _socle(tmp_path)
    (tmp_path / "prog").mkdir()
    prog = write_referential(
        tmp_path / "prog" / "p.yaml", [], id="p", include=[{"referential": "ssi", "select": ["SSI/IAN.*"]}]
    )
    with pytest.raises(ReferentialError) as info:
        load_referential(prog)
    problem = info.value.problems[0]
    assert problem.file == prog and problem.line is not None and "matches no requirement" in problem.message


def test_missing_include_suggests_close_id(tmp_path: Path) -> None:
    _socle(tmp_path)
    (tmp_path / "prog").mkdir()
    prog = write_referential(tmp_path / "prog" / "p.yaml", [], id="p", include=[{"referential": "sss"}])
    with pytest.raises(ReferentialError, match="did you mean 'ssi'"):
        load_referential(prog)


def test_include_cycle_is_reported(tmp_path: Path) -> None:
    write_referential(tmp_path / "a.yaml", [], id="a", include=[{"referential": "b"}])
    write_referential(tmp_path / "b.yaml", [], id="b", include=[{"referential": "a"}])
    with pytest.raises(ReferentialError, match="cycle"):
        load_referential(tmp_path / "a.yaml", roots=[tmp_path])


def test_duplicate_requirement_ids(tmp_path: Path) -> None:
    path = write_referential(tmp_path / "d.yaml", [requirement("R.1", "engine.outcome.fail") for _ in range(2)])
    with pytest.raises(ReferentialError, match="duplicate requirement id"):
        load_referential(path)


def test_exactly_one_of_checks_attestation_not_tested(tmp_path: Path) -> None:
    req = requirement("R.1", "engine.outcome.fail", not_tested="why")
    path = write_referential(tmp_path / "x.yaml", [req])
    with pytest.raises(ReferentialError, match="exactly one of checks, attestation, not_tested"):
        load_referential(path)


def test_by_id_latest_version(tmp_path: Path) -> None:
    for v in ("1.2.0", "1.10.0", "1.9.0"):
        write_referential(tmp_path / f"r-{v}.yaml", [], id="r", version=v)
    assert load_referential("r", roots=[tmp_path]).version == "1.10.0"
    assert load_referential("r@1.9.0", roots=[tmp_path]).version == "1.9.0"
    with pytest.raises(ReferentialError, match="versions found"):
        load_referential("r@3.0", roots=[tmp_path])
