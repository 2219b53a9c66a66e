"""Reading a printed prescription (PDF) as a pharmacist's software and eye would.

Text: ``pdftotext`` (poppler). Codes: each page rendered to PNG by ``pdftoppm`` (its long
side bounded, so a page of absurd size cannot exhaust memory), then decoded by zxing-cpp
(QR code and Data Matrix, the 2D codes a prescription may carry). Both tools run in a
subprocess with a deadline: a hostile PDF cannot hang or crash the check. A missing tool is
a CheckError (the harness cannot decide); a file the tools cannot open is the system's
(CheckFailed).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from homolog import CheckError, CheckFailed

__all__ = ["MAX_PAGES", "Code", "codes_in", "normalised", "text_of"]

MAX_PAGES = 4  # a prescription is a page or two; a longer PDF is read this far
_LONG_SIDE = 2400  # pixels: a QR code of 40 mm on A4 gets about 12 pixels per module
_DEADLINE = 60.0


@dataclass(frozen=True)
class Code:
    """A 2D code found on a page: its symbology and the text it carries."""

    page: int
    format: str
    text: str


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise CheckError(
            f"{name} (Debian package poppler-utils) is not installed: the printed prescription cannot be read"
        )
    return path


def _run(args: list[str], what: str) -> subprocess.CompletedProcess[bytes]:
    try:
        done = subprocess.run(args, capture_output=True, timeout=_DEADLINE, check=False)
    except subprocess.TimeoutExpired:
        raise CheckError(f"{what} took more than {_DEADLINE:g} s: the PDF could not be read") from None
    return done


def _said(done: subprocess.CompletedProcess[bytes]) -> str:
    return done.stderr.decode("utf-8", errors="replace").strip()[:300] or f"exit status {done.returncode}"


def text_of(pdf: bytes) -> str:
    """The text layer of the first pages (empty when the PDF has none); CheckError when unreadable."""
    with tempfile.TemporaryDirectory(prefix="homolog-erx-") as tmp:
        path = Path(tmp) / "prescription.pdf"
        path.write_bytes(pdf)
        done = _run([_tool("pdftotext"), "-l", str(MAX_PAGES), "-enc", "UTF-8", str(path), "-"], "pdftotext")
    if done.returncode != 0:
        raise CheckFailed(f"the printed prescription is not a readable PDF: {_said(done)}")
    return done.stdout.decode("utf-8", errors="replace")


def codes_in(pdf: bytes) -> list[Code]:
    """The QR codes and Data Matrix symbols on the first pages, in page order."""
    try:
        import zxingcpp
        from PIL import Image
    except ImportError as exc:
        raise CheckError(f"zxing-cpp is not installed ({exc}): the 2D codes cannot be decoded") from None
    wanted = {zxingcpp.BarcodeFormat.QRCode: "QR code", zxingcpp.BarcodeFormat.DataMatrix: "Data Matrix"}
    found: list[Code] = []
    with tempfile.TemporaryDirectory(prefix="homolog-erx-") as tmp:
        path = Path(tmp) / "prescription.pdf"
        path.write_bytes(pdf)
        args = [_tool("pdftoppm"), "-png", "-l", str(MAX_PAGES), "-scale-to", str(_LONG_SIDE), str(path)]
        done = _run([*args, str(Path(tmp) / "page")], "pdftoppm")
        if done.returncode != 0:
            raise CheckFailed(f"the printed prescription is not a PDF that can be rendered: {_said(done)}")
        pages = sorted(Path(tmp).glob("page-*.png"), key=lambda p: int(p.stem.rpartition("-")[2]))
        for number, png in enumerate(pages, start=1):
            with Image.open(png) as image:
                for result in zxingcpp.read_barcodes(image):
                    if result.format in wanted:
                        found.append(Code(number, wanted[result.format], result.text))
    return found


def normalised(text: str) -> str:
    """Case, accents and runs of white space do not matter when looking for a mention."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())
