"""The evidence folder is made once per process (issue 18.2: not asked again for each file),
and made again if it was removed since."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from homolog.evidence import Evidence


def test_a_file_is_written_after_its_folder_was_removed(tmp_path: Path) -> None:
    ev = Evidence(tmp_path, "case")
    first = ev.attach_text("a.txt", "one")
    shutil.rmtree(tmp_path / "evidence")
    second = ev.attach_json("b", {"two": 2})
    assert not (tmp_path / first).exists()
    assert (tmp_path / second).read_text() == '{\n  "two": 2\n}'
    source = tmp_path / "tool.log"
    source.write_text("three")
    shutil.rmtree(tmp_path / "evidence")
    third = ev.attach_file(source)
    assert (tmp_path / third).read_text() == "three"
    assert [first, second, third] == ["evidence/case@01-a.txt", "evidence/case@02-b.json", "evidence/case@03-tool.log"]


def test_a_missing_file_to_copy_is_still_an_error(tmp_path: Path) -> None:
    ev = Evidence(tmp_path, "case")
    ev.attach_text("a.txt", "one")
    with pytest.raises(FileNotFoundError):
        ev.attach_file(tmp_path / "no-such-file.log")
    assert ev.paths == ["evidence/case@01-a.txt"]
