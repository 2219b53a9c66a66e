"""Reading evidence files of a run for display, with bounded sizes.

Evidence is what the system under test returned (HTTP exchanges, screenshots,
validator output). It is classified here and handed to the renderers as plain data;
the renderers escape every string. Reads are bounded so a huge or hostile file
cannot exhaust memory, and a budget caps how much a whole report inlines.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from homolog.reports.model import Run, safe_evidence_path

__all__ = ["Budget", "EvidenceItem", "HttpSide", "load_evidence", "sha256_of"]

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
# An HTTP exchange file is small JSON written by the engine; anything bigger is shown
# as a plain file link rather than parsed.
MAX_EXCHANGE_BYTES = 8 * 1024 * 1024
# Per-body preview inside the report; the full body stays in the evidence file.
BODY_PREVIEW_CHARS = 16 * 1024
TEXT_PREVIEW_BYTES = 32 * 1024
MAX_IMAGE_BYTES = 4 * 1024 * 1024
# Pretty-printing JSON bodies helps a reader; beyond this size it is not worth it.
PRETTY_JSON_LIMIT = 256 * 1024
# Deeper JSON is shown as sent: indentation would be the whole preview.
PRETTY_JSON_DEPTH = 64
# One token of JSON text. Strings are kept as written, escapes included: decoding them
# could bring back into view a secret the evidence holds only in escaped form.
_JSON_TOKEN = re.compile(r'\s*+("(?:[^"\\\n]++|\\.)*+"|[{}\[\],:]|[-+.0-9A-Za-z]++)')


@dataclass
class Budget:
    """How many bytes a report may still inline (images and text previews)."""

    images: int = 256 * 1024 * 1024
    text: int = 128 * 1024 * 1024

    def take_image(self, size: int) -> bool:
        if size > MAX_IMAGE_BYTES or size > self.images:
            return False
        self.images -= size
        return True

    def take_text(self, size: int) -> bool:
        if size > self.text:
            return False
        self.text -= size
        return True


@dataclass(frozen=True)
class HttpSide:
    """One side (request or response) of a recorded HTTP exchange."""

    first_line: str
    headers: tuple[tuple[str, str], ...]
    body: str | None
    truncated: bool


@dataclass
class EvidenceItem:
    """One evidence file, classified for display.

    ``kind`` is "http", "image", "text", "binary", "missing" or "unsafe".
    """

    relpath: str
    kind: str
    name: str
    size: int = 0
    path: Path | None = None
    summary: str = ""
    request: HttpSide | None = None
    response: HttpSide | None = None
    error: str | None = None
    elapsed: float | None = None
    image_mime: str | None = None
    image_bytes: bytes | None = field(default=None, repr=False)
    text: str | None = None
    text_truncated: bool = False
    inlined: bool = True


def _as_str(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def reindent_json(text: str, limit: int = BODY_PREVIEW_CHARS) -> str | None:
    """JSON text re-indented by two spaces, its tokens as written; None when it is not JSON-shaped.

    Linear, iterative (any depth of nesting), and stops once `limit` characters are
    produced: the caller shows a preview. Deeper than PRETTY_JSON_DEPTH, or with a token
    out of place in what was read, it gives None and the body is shown as sent.
    """
    out: list[str] = []
    size = depth = pos = 0
    n = len(text)
    pending: str | None = None  # an opening bracket, written once we know whether it is empty

    def emit(piece: str) -> None:
        nonlocal size
        out.append(piece)
        size += len(piece)

    while pos < n and size < limit:
        m = _JSON_TOKEN.match(text, pos)
        if m is None:
            if text[pos:].strip():
                return None
            break
        pos = m.end()
        token = m.group(1)
        if pending is not None:
            if token in ("}", "]") and {"{": "}", "[": "]"}[pending] == token:
                emit(pending + token)
                pending = None
                depth -= 1
                continue
            emit(pending + "\n" + "  " * depth)
            pending = None
        if token in ("{", "["):
            depth += 1
            if depth > PRETTY_JSON_DEPTH:
                return None
            pending = token
        elif token in ("}", "]"):
            depth -= 1
            if depth < 0:
                return None
            emit("\n" + "  " * depth + token)
        elif token == ",":
            emit(",\n" + "  " * depth)
        elif token == ":":
            emit(": ")
        else:
            emit(token)
    if pending is not None:
        emit(pending)
    if pos >= n and (depth != 0 or text[pos:].strip()):
        return None
    return "".join(out)


def _body(value: Any, truncated: Any) -> tuple[str | None, bool]:
    if value is None:
        return None, bool(truncated)
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if len(text) <= PRETTY_JSON_LIMIT and text.lstrip()[:1] in ("{", "["):
        # Not JSON after all: show it as sent.
        text = reindent_json(text, BODY_PREVIEW_CHARS + 1) or text
    cut = len(text) > BODY_PREVIEW_CHARS
    if cut:
        text = text[:BODY_PREVIEW_CHARS]
    return text, bool(truncated) or cut


def _headers(value: Any) -> tuple[tuple[str, str], ...]:
    if isinstance(value, dict):
        return tuple((_as_str(k), _as_str(v)) for k, v in value.items())
    if isinstance(value, list):  # a list of [name, value] pairs keeps repeated headers
        pairs = []
        for item in value:
            if isinstance(item, list | tuple) and len(item) == 2:
                pairs.append((_as_str(item[0]), _as_str(item[1])))
        return tuple(pairs)
    return ()


def _http(item: EvidenceItem, data: dict[str, Any]) -> bool:
    req = data.get("request")
    resp = data.get("response")
    if not isinstance(req, dict):
        return False
    method = _as_str(req.get("method")) or "?"
    url = _as_str(req.get("url"))
    body, cut = _body(req.get("body"), req.get("body_truncated"))
    item.request = HttpSide(f"{method} {url}", _headers(req.get("headers")), body, cut)
    status = ""
    if isinstance(resp, dict):
        status = _as_str(resp.get("status"))
        rbody, rcut = _body(resp.get("body"), resp.get("body_truncated"))
        item.response = HttpSide(f"HTTP {status}", _headers(resp.get("headers")), rbody, rcut)
    err = data.get("error")
    item.error = _as_str(err) if err else None
    elapsed = data.get("elapsed")
    item.elapsed = float(elapsed) if isinstance(elapsed, int | float) else None
    outcome = status or (f"✗ {item.error}" if item.error else "?")
    item.summary = f"{method} {url} → {outcome}"
    item.kind = "http"
    return True


def load_evidence(run: Run, relpath: str, budget: Budget) -> EvidenceItem:
    """Classify and read (bounded) one evidence file named in run.json."""
    # shown under its check: the check's slug before "@" (homolog.evidence.SEPARATOR) says nothing more
    base = relpath.rsplit("/", 1)[-1]
    name = base.partition("@")[2] or base
    path = safe_evidence_path(run, relpath)
    if path is None:
        return EvidenceItem(relpath, "unsafe", name)
    try:
        if not path.is_file():
            return EvidenceItem(relpath, "missing", name)
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(TEXT_PREVIEW_BYTES + 1)
    except OSError:
        return EvidenceItem(relpath, "missing", name)
    item = EvidenceItem(relpath, "binary", name, size=size, path=path)
    if head.startswith(PNG_MAGIC) or head.startswith(JPEG_MAGIC):
        item.kind = "image"
        item.image_mime = "image/png" if head.startswith(PNG_MAGIC) else "image/jpeg"
        if budget.take_image(size):
            item.image_bytes = path.read_bytes()
        else:
            item.inlined = False
        return item
    if name.endswith(".json") and size <= MAX_EXCHANGE_BYTES:
        try:
            data = json.loads(path.read_bytes())
        except (OSError, UnicodeDecodeError, ValueError, RecursionError):
            data = None  # a nesting deeper than the parser's stack is shown as text
        if isinstance(data, dict) and _http(item, data):
            if not budget.take_text(size):
                item.inlined = False
            return item
    if b"\x00" in head:
        return item
    try:
        text = head[:TEXT_PREVIEW_BYTES].decode("utf-8", errors="replace")
    except ValueError:  # pragma: no cover - errors="replace" never raises
        return item
    item.kind = "text"
    item.text_truncated = size > TEXT_PREVIEW_BYTES
    if budget.take_text(len(text)):
        item.text = text
    else:
        item.inlined = False
    return item


def sha256_of(path: Path, *, chunk: int = 1024 * 1024) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file, read in chunks (reports that reference evidence by hash)."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size
