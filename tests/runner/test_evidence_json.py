"""Evidence JSON written by `indented_json` (issue 18.2): the same text as
`json.dumps(obj, indent=2, ensure_ascii=False, default=str)` for every value, the
values it leaves to `json.dumps` included (a differential test on seeded random values)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from homolog.evidence import indented_json

_CHARS = ['"', "\\", "\n", "\t", "\x00", "\x1f", "\x7f", "é", "€", "\u2028", "\ud800", "😀", "a", " ", "/", "<"]


def _string(rng: random.Random) -> str:
    return "".join(rng.choice(_CHARS) for _ in range(rng.randrange(0, 8)))


def _value(rng: random.Random, depth: int) -> Any:
    choice = rng.randrange(14 if depth < 4 else 9)
    if choice == 0:
        return _string(rng)
    if choice == 1:
        return rng.choice([0, -1, 7, 2**70, -(2**64)])
    if choice == 2:
        return rng.choice([0.0, -0.0, 1.5, 1e300, -2.5e-310, float("nan"), float("inf"), float("-inf"), 0.1])
    if choice == 3:
        return rng.choice([True, False, None])
    if choice == 4:
        return rng.choice([Path("/x/y"), b"bytes", {1, 2}, ValueError("an object")])  # left to default=str
    if choice == 5:
        return rng.choice([[], {}, ()])
    if choice in (6, 7, 8):
        return _string(rng)
    if choice in (9, 10):
        return [_value(rng, depth + 1) for _ in range(rng.randrange(1, 4))]
    if choice == 11:
        return tuple(_value(rng, depth + 1) for _ in range(rng.randrange(1, 3)))
    keys: list[Any] = [_string(rng) for _ in range(rng.randrange(1, 4))]
    if rng.random() < 0.1:
        keys.append(rng.choice([1, 2.5, True, None]))  # not a str key: json.dumps converts it
    return {k: _value(rng, depth + 1) for k in keys}


def test_the_same_text_as_json_dumps_on_seeded_random_values() -> None:
    rng = random.Random(1802)
    for _ in range(3000):
        value = _value(rng, 0)
        assert indented_json(value) == json.dumps(value, indent=2, ensure_ascii=False, default=str), value


def test_an_http_exchange_as_evidence_holds_it() -> None:
    exchange = {
        "request": {"method": "GET", "url": "http://h/ok", "headers": {"accept": "*/*"}, "body": None},
        "response": {"status": 200, "headers": {}, "body": '{"ok": true}', "body_bytes": 12},
        "elapsed": 0.0012,
        "error": None,
    }
    text = indented_json(exchange)
    assert text == json.dumps(exchange, indent=2, ensure_ascii=False, default=str)
    assert text.startswith('{\n  "request": {\n    "method": "GET",')


def test_what_json_dumps_refuses_is_still_refused() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular"):
        indented_json(loop)
    with pytest.raises(TypeError):
        indented_json({(1, 2): "a tuple key"})


def test_the_run_files_are_written_as_json_dumps_writes_them(tmp_path: Path) -> None:
    # run.json, inputs/referential.json and inputs/session.json go through the same writer
    from homolog.runstore import _write_json

    rng = random.Random(18021)
    for _ in range(300):
        value = _value(rng, 0)
        expected = json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n"
        try:
            expected.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: no UTF-8 file can hold it, as before
            with pytest.raises(UnicodeEncodeError):
                _write_json(tmp_path / "run.json", value)
            continue
        _write_json(tmp_path / "run.json", value)
        assert (tmp_path / "run.json").read_text("utf-8") == expected, value
    assert not list(tmp_path.glob("*.tmp"))


def test_a_runs_json_files_are_the_text_json_dumps_gives(tmp_path: Path, target_file: Path) -> None:
    from engine_support import requirement, write_referential

    from homolog.testing import run_referential

    reqs = [requirement("R.1", "engine.http.status"), requirement("R.2", "engine.outcome.fail", title="« é »")]
    run_referential(write_referential(tmp_path / "ref.yaml", reqs), target_file, tmp_path / "run")
    for name in ("run.json", "inputs/referential.json", "inputs/session.json"):
        text = (tmp_path / "run" / name).read_text("utf-8")
        assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n", name
