"""Result lines: written at once (a killed process loses none), fsync'ed in groups, flushed at the end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from homolog import durable
from homolog.durable import GroupSync, append_json_lines
from homolog.runstore import RunStore


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = os.fsync

    def counting(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(durable.os, "fsync", counting)
    return calls


def test_lines_within_the_interval_share_one_fsync_and_flush_syncs_the_rest(tmp_path: Path, fsyncs: list[int]) -> None:
    store = RunStore(tmp_path)
    for i in range(50):
        store.append({"key": f"k{i}"})
    assert len(fsyncs) == 1  # the first line at once, the 49 others pending (well within 0.2 s)
    store.flush()
    assert len(fsyncs) == 2
    store.flush()
    assert len(fsyncs) == 2  # nothing pending: no sync
    assert [json.loads(line)["key"] for line in store.results_path.read_text().splitlines()] == [
        f"k{i}" for i in range(50)
    ]


def test_a_line_after_the_interval_is_synced_at_once(tmp_path: Path, fsyncs: list[int]) -> None:
    path = tmp_path / "lines.jsonl"
    group = GroupSync(path, interval=0.0)
    for i in range(3):
        append_json_lines(path, ({"n": i},), sync=False)
        group.wrote()
    assert len(fsyncs) == 3
    append_json_lines(path, ({"n": 3},))  # the default syncs by itself
    assert len(fsyncs) == 4


def test_a_process_killed_before_any_flush_keeps_every_line_it_wrote(tmp_path: Path) -> None:
    # SIGKILL right after the appends: no flush ran, the lines are in the file all the same
    code = (
        "import os, signal, sys\n"
        "from homolog.runstore import RunStore\n"
        "store = RunStore(sys.argv[1])\n"
        "for i in range(20):\n"
        "    store.append({'key': f'k{i}'})\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path)], timeout=60, check=False)
    assert proc.returncode == -9
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert [json.loads(line)["key"] for line in lines] == [f"k{i}" for i in range(20)]
