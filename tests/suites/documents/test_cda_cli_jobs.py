"""``homolog validate cda --jobs N``: documents validated by N processes give what one gives,
and a document that kills its process is an error, the others keep their results (the
rounds after a death: tests/runner/test_parallel.py)."""

from __future__ import annotations

import io
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from homolog.parallel import PROCESS_DIED
from homolog.suites.documents.cli import FileResult, main, validate_files
from homolog.suites.documents.material import AnsMaterial
from homolog.suites.documents.validator import DocumentValidator, ValidationReport

CRASH = b"<!-- homolog-test: kill the validating process -->"


class CrashingValidator(DocumentValidator):
    """Kills its own process on a document holding CRASH, as a crash of Saxon's native code
    or the out-of-memory killer would (spawned workers import it from this module)."""

    def validate(self, data: bytes, **kwargs: Any) -> ValidationReport:
        if CRASH in data:
            os.kill(os.getpid(), signal.SIGKILL)
        return super().validate(data, **kwargs)


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def examples(cda_root: Path, tmp_path: Path) -> list[Path]:
    """Valid, invalid and unreadable documents: every kind of result."""
    folder = cda_root / "ExemplesCDA"
    names = ["LDL-SES_2022.01.xml", "IPS-FR_2024.01.xml", "VSM_2023.01.xml", "DOC_NON_STRUCTURE_CDA-R2-N1.xml"]
    not_xml = tmp_path / "not.xml"
    not_xml.write_text("<ClinicalDocument", encoding="utf-8")
    return [*(folder / n for n in names), not_xml, tmp_path / "absent.xml", folder / names[0]]


def test_jobs_give_what_one_process_gives_in_the_order_of_the_files(examples: list[Path], cda_root: Path) -> None:
    common = ["--material", str(cda_root), *map(str, examples)]
    for fmt in ("json", "text"):
        one = _run(*common, "--format", fmt)
        assert _run(*common, "--format", fmt, "--jobs", "3") == one
    status, out, _ = one
    assert status == 1
    assert [line.split(":")[0] for line in out.splitlines() if not line.startswith(" ")] == list(map(str, examples))


def test_a_document_that_kills_its_process_is_an_error_and_the_others_keep_their_results(
    examples: list[Path], cda_root: Path, schematron_cache: Path, tmp_path: Path
) -> None:
    material = AnsMaterial.from_root(cda_root)
    crash = tmp_path / "crash.xml"
    crash.write_bytes(examples[0].read_bytes().replace(b"?>", b"?>" + CRASH, 1))
    files = [examples[0], crash, *examples[1:]]
    expected = validate_files(examples, DocumentValidator(material, cache_dir=schematron_cache))
    got = validate_files(files, CrashingValidator(material, cache_dir=schematron_cache), jobs=2)
    assert [(r.file, r.status, r.reason) for r in got] == [
        (r.file, r.status, r.reason) for r in [*expected[:1], _died(crash), *expected[1:]]
    ]
    assert [r.issues for r in got if r.file != str(crash)] == [r.issues for r in expected]


def _died(path: Path) -> FileResult:
    return FileResult(str(path), "error", reason=f"not validated: {PROCESS_DIED}")
