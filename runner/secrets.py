"""The secret values a run holds, and where they occur in text whatever their encoding.

A secret is redacted by its value, not by the name of the field that carries it: a
login form may call its password field ``motdepasse``, a server may echo a token in a
URL path, JSON-escape it (``\\u0068...``), percent-encode it, base64 it into a Basic
header or write it as HTML character references. `secret_spans` finds every occurrence
of the registered values in the raw text and in its decoded views, and maps them back to
spans of the original text, so that the caller can cut them out before writing.

`SecretRegistry` is the run-wide set of values: the environment values the target
names, the passwords a check generates, the tokens the SUT or a counterpart hands out
(checks register them with ``evidence.secret(value)``). Processes of one run (xdist
workers) share it through an append-only file of Fernet tokens in a private temporary
folder; the key stays in the memory of the processes (handed to workers through their
input), so what reaches the disk is ciphertext only.

Every function here is linear in the size of the text (no backtracking pattern), so a
hostile body costs the same as a plain one of the same size.
"""

from __future__ import annotations

import base64
import bisect
import fcntl
import functools
import html.entities
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

from ahocorasick_rs import MATCHKIND_STANDARD, AhoCorasick
from cryptography.fernet import Fernet, InvalidToken

__all__ = ["MIN_SECRET_LENGTH", "SecretRegistry", "credential_field", "secret_spans", "slug"]

#: Shorter values are not secrets worth redacting (they would cut ordinary words).
MIN_SECRET_LENGTH = 4
# Base64 forms of a value are looked for only when the value is long enough that its
# encoded core cannot occur by chance in unrelated base64 (screenshots, attachments).
_MIN_BASE64_LENGTH = 6
# A run holds a handful of secrets; a SUT that hands out tokens without end must not
# make every redaction slower and slower. Values learnt from what the SUT sends (a token
# field, a cookie) count against the smaller bound.
MAX_SECRETS = 4096
MAX_LEARNT = 256
# Up to this many needles (values and their base64 cores) a text is searched for each in
# turn; beyond, one Aho-Corasick pass first tells which occur (`_Needles`).
_FEW_NEEDLES = 24

# One escape (or a run of one kind of escape) of any of the encodings a secret may travel
# in. Every alternative is of bounded length or a plain repetition of a fixed-size unit,
# so the scan is linear.
_ESCAPE = re.compile(
    r"(?P<pct>(?:%[0-9A-Fa-f]{2})++)"
    r"|(?P<u>(?:\\u[0-9A-Fa-f]{4})++)"
    r"|\\x(?P<x>[0-9A-Fa-f]{2})"
    r"|\\(?P<c>[\"\\/bfnrt'])"
    r"|&\#(?P<dec>[0-9]{1,8});?"
    r"|&\#[xX](?P<hex>[0-9A-Fa-f]{1,7});?"
    r"|&(?P<name>[A-Za-z][A-Za-z0-9]{1,31};)"
    r"|(?P<plus>\+)"
)
_MAY_ESCAPE = re.compile(r"[%\\&+]")
# The same escapes but `+`, for the view where a `+` stays a `+` (most texts, base64 full of them).
_ESCAPE_NO_PLUS = re.compile(_ESCAPE.pattern.rpartition("|")[0])
_C_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "'": "'"}
_ENTITIES = html.entities.html5
_BASE64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_")
_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


def slug(text: str) -> str:
    """What a name becomes in a file name of the run directory (evidence files)."""
    return _SLUG.sub("-", text)


class _View:
    """Text decoded from another, with the map from its offsets back to the source's.

    Only escapes are recorded: piece `i` is `lengths[i]` chars at `starts[i]` of the
    view, made from `src_starts[i]:src_ends[i]` of the source, `strides[i]` source chars
    per view char when that is uniform (a run of `%41%42`), 0 when it is not. Text
    between pieces maps one to one.
    """

    __slots__ = ("lengths", "parent", "src_ends", "src_starts", "starts", "strides", "text")

    def __init__(self, text: str, parent: _View | None = None) -> None:
        self.text = text
        self.parent = parent
        self.starts: list[int] = []
        self.lengths: list[int] = []
        self.src_starts: list[int] = []
        self.src_ends: list[int] = []
        self.strides: list[int] = []

    def add(self, chars: str, start: int, end: int, stride: int = 0) -> None:
        self.starts.append(0)  # set by _fix_starts once the literal text between pieces is known
        self.lengths.append(len(chars))
        self.src_starts.append(start)
        self.src_ends.append(end)
        self.strides.append(stride)

    def _source(self, offset: int, end: bool) -> int:
        k = bisect.bisect_right(self.starts, offset) - 1
        if k < 0:
            return offset + (1 if end else 0)
        inside = offset - self.starts[k]
        if inside < self.lengths[k]:
            stride = self.strides[k]
            if stride:
                return self.src_starts[k] + (inside + (1 if end else 0)) * stride
            return self.src_ends[k] if end else self.src_starts[k]
        return self.src_ends[k] + inside - self.lengths[k] + (1 if end else 0)

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that `start:end` of this view comes from."""
        view: _View | None = self
        while view is not None and view.parent is not None:
            start, end = view._source(start, False), view._source(end - 1, True)
            view = view.parent
        return start, end


def _utf8_chars(data: bytes) -> Iterable[tuple[str, int, int]]:
    """(char, first byte, end byte) of percent-decoded bytes; a byte that is no UTF-8 reads as Latin-1."""
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        size = 1 if b < 0x80 else 2 if b >> 5 == 6 else 3 if b >> 4 == 14 else 4 if b >> 3 == 30 else 1
        if size > 1:
            try:
                yield data[i : i + size].decode("utf-8"), i, i + size
                i += size
                continue
            except UnicodeDecodeError:
                pass
        yield chr(b), i, i + 1
        i += 1


def _pct_run(view: _View, out: list[str], run: str, start: int) -> None:
    data = bytes.fromhex(run.replace("%", ""))
    if data.isascii():
        text = data.decode("ascii")
        out.append(text)
        view.add(text, start, start + len(run), 3)
        return
    for ch, i, j in _utf8_chars(data):
        out.append(ch)
        view.add(ch, start + 3 * i, start + 3 * j)


def _u_run(view: _View, out: list[str], run: str, start: int) -> None:
    codes = [int(run[i + 2 : i + 6], 16) for i in range(0, len(run), 6)]
    if not any(0xD800 <= c <= 0xDFFF for c in codes):
        text = "".join(map(chr, codes))
        out.append(text)
        view.add(text, start, start + len(run), 6)
        return
    i = 0
    while i < len(codes):
        c = codes[i]
        if 0xD800 <= c <= 0xDBFF and i + 1 < len(codes) and 0xDC00 <= codes[i + 1] <= 0xDFFF:
            ch, width = chr(0x10000 + ((c - 0xD800) << 10) + codes[i + 1] - 0xDC00), 2
        else:
            ch, width = (chr(c) if not 0xD800 <= c <= 0xDFFF else "\ufffd"), 1
        out.append(ch)
        view.add(ch, start + 6 * i, start + 6 * (i + width))
        i += width


def _pct_text(run: str) -> str:
    data = bytes.fromhex(run.replace("%", ""))
    if data.isascii():
        return data.decode("ascii")
    return "".join(ch for ch, _, _ in _utf8_chars(data))


def _u_text(run: str) -> str:
    codes = [int(run[i + 2 : i + 6], 16) for i in range(0, len(run), 6)]
    if not any(0xD800 <= c <= 0xDFFF for c in codes):
        return "".join(map(chr, codes))
    out, i = [], 0
    while i < len(codes):
        c = codes[i]
        if 0xD800 <= c <= 0xDBFF and i + 1 < len(codes) and 0xDC00 <= codes[i + 1] <= 0xDFFF:
            out.append(chr(0x10000 + ((c - 0xD800) << 10) + codes[i + 1] - 0xDC00))
            i += 2
        else:
            out.append(chr(c) if not 0xD800 <= c <= 0xDFFF else "\ufffd")
            i += 1
    return "".join(out)


def _escape_text(m: re.Match[str]) -> str:
    """What one escape match stands for (the same characters `_decode` maps)."""
    kind = m.lastgroup
    if kind == "pct":
        return _pct_text(m.group(0))
    if kind == "u":
        return _u_text(m.group(0))
    if kind == "x":
        return chr(int(m.group("x"), 16))
    if kind == "c":
        return _C_ESCAPES[m.group("c")]
    if kind == "dec" or kind == "hex":
        code = int(m.group(kind), 10 if kind == "dec" else 16)
        return chr(code) if 0 < code <= 0x10FFFF else "\ufffd"
    if kind == "name":
        return _ENTITIES.get(m.group("name"), m.group(0))
    return " "


def _decoded_text(text: str, *, plus_is_space: bool) -> str | None:
    """The text `_decode` gives for `text`, without the offset map; None when it gives None.

    Most texts hold no secret in any encoded form: this finds that out at the cost of one
    substitution, and the map back to the source (`_decode`) is built only on a hit.
    """
    if not _MAY_ESCAPE.search(text):
        return None
    decoded, count = (_ESCAPE if plus_is_space else _ESCAPE_NO_PLUS).subn(_escape_text, text)
    return decoded if count else None


def _decode(parent: _View, *, plus_is_space: bool) -> _View | None:
    """One level of decoding of every escape syntax at once; None when there is nothing to decode."""
    text = parent.text
    if not _MAY_ESCAPE.search(text):
        return None
    view = _View("", parent)
    out: list[str] = []
    pos = 0  # consumed in the source
    for m in _ESCAPE.finditer(text):
        kind = m.lastgroup
        if kind == "plus" and not plus_is_space:
            continue
        s, e = m.span()
        if s > pos:
            out.append(text[pos:s])
        pos = e
        if kind == "pct":
            _pct_run(view, out, m.group(0), s)
            continue
        if kind == "u":
            _u_run(view, out, m.group(0), s)
            continue
        ch = _escape_text(m)
        out.append(ch)
        view.add(ch, s, e)
    if not view.starts:
        return None
    out.append(text[pos:])
    view.text = "".join(out)
    _fix_starts(view)
    return view


def _fix_starts(view: _View) -> None:
    """Offsets of the pieces in the view, from their source offsets and the literal text between."""
    shift = 0  # view offset minus source offset, for literal text
    for i in range(len(view.starts)):
        view.starts[i] = view.src_starts[i] + shift
        shift += view.lengths[i] - (view.src_ends[i] - view.src_starts[i])


def _base64_cores(value: str) -> set[str]:
    """The parts of the base64 encodings of `value` that do not depend on its neighbours.

    Inside a longer encoded string (`user:password` in a Basic header, a JSON
    document in a JWT) the value starts at byte offset 0, 1 or 2 of a 3-byte group;
    for each offset the characters that only the value's bits decide are fixed.
    """
    data = value.encode()
    cores: set[str] = set()
    for offset, skip in ((0, 0), (1, 2), (2, 3)):
        total = offset + len(data)
        end = total // 3 * 4 + (0, 2, 3)[total % 3]
        encoded = base64.b64encode(b"\0" * offset + data).decode()
        # the last character of a partial group mixes in the next (unknown) byte
        core = encoded[skip : end - (1 if total % 3 else 0)]
        if len(core) >= _MIN_BASE64_LENGTH:
            cores.add(core)
            cores.add(core.replace("+", "-").replace("/", "_"))
    return cores


class _Needles:
    """What to look for, made once per set of secrets.

    A run learns the tokens the SUT hands out (each login its own): late in a run a text
    is searched for a few hundred needles (each value and its base64 cores). One pass of
    an Aho-Corasick automaton over the text tells which of them occur at all, and only
    those are then searched one by one, in the order the search has always used: the
    spans found are the same, at the cost of one scan whatever the number of needles.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        self.values = sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)
        self.base64 = sorted(
            {c for s in self.values if len(s) >= _MIN_BASE64_LENGTH for c in _base64_cores(s)}, key=len, reverse=True
        )
        self.with_space = any(" " in s for s in self.values)
        self.slugs = sorted({slug(s) for s in self.values if len(slug(s).strip("-")) >= _MIN_BASE64_LENGTH})

    @functools.cached_property
    def _automaton(self) -> AhoCorasick | None:
        """Built on the first search: a run learns secrets faster than it writes evidence, and
        a set of needles replaced before any text was searched costs no automaton. A few
        needles are found as fast by `str.find`, without one (None)."""
        needles = self.values + self.base64
        return AhoCorasick(needles, matchkind=MATCHKIND_STANDARD) if len(needles) > _FEW_NEEDLES else None

    def present(self, text: str) -> tuple[list[str], list[str]]:
        """The values and the base64 cores that occur in `text`, each list in search order."""
        automaton = self._automaton
        if automaton is None:
            return [v for v in self.values if v in text], [c for c in self.base64 if c in text]
        found = {i for i, _, _ in automaton.find_matches_as_indexes(text, overlapping=True)}
        if not found:
            return [], []
        count = len(self.values)
        return [v for i, v in enumerate(self.values) if i in found], [
            c for i, c in enumerate(self.base64, count) if i in found
        ]

    def any_in(self, text: str) -> bool:
        """Whether a value or a base64 core occurs in `text`."""
        automaton = self._automaton
        if automaton is None:
            return any(v in text for v in self.values) or any(c in text for c in self.base64)
        return bool(automaton.find_matches_as_indexes(text))


def _find(text: str, needle: str, spans: list[tuple[int, int]]) -> None:
    i = text.find(needle)
    while i != -1:
        spans.append((i, i + len(needle)))
        i = text.find(needle, i + 1)


def _base64_run(text: str, start: int, end: int, floor: int) -> tuple[int, int]:
    """Widen a match to the whole base64 token around it (never left of `floor`)."""
    while start > floor and text[start - 1] in _BASE64_CHARS:
        start -= 1
    n = len(text)
    while end < n and text[end] in _BASE64_CHARS:
        end += 1
    return start, end


def _spans_in(view: _View, needles: _Needles, out: list[tuple[int, int]]) -> None:
    text = view.text
    values, cores = needles.present(text)
    found: list[tuple[int, int]] = []
    for value in values:
        _find(text, value, found)
    covered = 0
    for core in cores:
        hits: list[tuple[int, int]] = []
        _find(text, core, hits)
        for s, e in hits:
            if e <= covered:
                continue
            s, e = _base64_run(text, s, e, covered)
            covered = max(covered, e)
            found.append((s, e))
    out.extend(view.original(s, e) for s, e in found)


def _holds_needle(text: str, needles: _Needles) -> bool:
    return needles.any_in(text)


def _hidden_in_escapes(text: str, needles: _Needles, *, plus_is_space: bool) -> bool:
    """Whether a needle shows in one of the (up to two) decoded views `secret_spans` searches."""
    for _ in range(2):
        decoded = _decoded_text(text, plus_is_space=plus_is_space)
        if decoded is None:
            return False
        if _holds_needle(decoded, needles):
            return True
        text = decoded
    return False


def secret_spans(text: str, needles: _Needles) -> list[tuple[int, int]]:
    """Merged spans of `text` that hold a secret in any supported form, in order."""
    if not needles.values or not text:
        return []
    spans: list[tuple[int, int]] = []
    root = _View(text)
    _spans_in(root, needles, spans)
    modes = (False, True) if needles.with_space and "+" in text else (False,)
    for plus_is_space in modes:
        if not _hidden_in_escapes(text, needles, plus_is_space=plus_is_space):
            continue
        view = root
        for _ in range(2):  # a value encoded twice (%255C, &amp;#104;) is still found
            decoded = _decode(view, plus_is_space=plus_is_space)
            if decoded is None:
                break
            _spans_in(decoded, needles, spans)
            view = decoded
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


class SecretRegistry:
    """The run's secret values; shared by the run's processes when given a folder and key.

    `add` registers a value (in memory, and for the other processes in the encrypted
    file); `needles` gives what to look for, refreshed with what other processes added.
    """

    def __init__(self, values: Iterable[str] = (), *, folder: Path | None = None, key: bytes | None = None) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()
        self._needles: _Needles | None = None
        self._folder = folder
        self._key = key.decode() if key is not None else ""
        self._fernet = Fernet(key) if key is not None else None
        self._read = 0  # bytes of the shared file already read
        self._path = None if folder is None else str(folder / "values")
        # asked for its size before every redaction: through a descriptor kept open once the
        # file exists (no path lookup, no exception while no process has added a value)
        self._fd: int | None = None
        self._learnt = 0
        for v in values:
            self.add(v)

    @classmethod
    def shared(cls, values: Iterable[str] = ()) -> SecretRegistry:
        """A registry other processes can join with `joining(registry.handle())`."""
        folder = Path(tempfile.mkdtemp(prefix="homolog-secrets-"))
        os.close(os.open(folder / "values", os.O_WRONLY | os.O_CREAT, 0o600))  # empty until a value is added
        return cls(values, folder=folder, key=Fernet.generate_key())

    @classmethod
    def joining(cls, handle: dict[str, str] | None) -> SecretRegistry:
        """The registry of the process that made `handle` (None: a registry of one process)."""
        if not handle:
            return cls()
        return cls(folder=Path(handle["folder"]), key=handle["key"].encode())

    def handle(self) -> dict[str, str] | None:
        """What another process needs to join (kept in memory, handed over through xdist's worker input)."""
        if self._folder is None or self._fernet is None:
            return None
        return {"folder": str(self._folder), "key": self._key}

    def add(self, value: str | None, *, learnt: bool = False) -> None:
        """Register one value (ignored when shorter than MIN_SECRET_LENGTH).

        `learnt`: the value comes from what the SUT sent (a credential field), not from
        the harness; at most MAX_LEARNT of those are kept.
        """
        if not value or len(value) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            if value in self._values or len(self._values) >= MAX_SECRETS:
                return
            if learnt:
                if self._learnt >= MAX_LEARNT:
                    return
                self._learnt += 1
            self._values.add(value)
            self._needles = None
            path = self._path
            if path is not None and self._fernet is not None:
                token = self._fernet.encrypt(value.encode()) + b"\n"
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                    os.write(fd, token)
                    end = os.lseek(fd, 0, os.SEEK_CUR)
                finally:
                    os.close(fd)
                # Our own token, right after what was read already: nothing to decrypt back.
                if end - len(token) == self._read:
                    self._read = end

    def _refresh(self) -> None:
        path = self._path
        if path is None or self._fernet is None:
            return
        fd = self._fd
        if fd is None:
            try:
                fd = self._fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                return
        size = os.lseek(fd, 0, os.SEEK_END)  # the size, without building a stat result (reads use pread)
        if size <= self._read:
            return
        data = os.pread(fd, size - self._read, self._read)
        complete = data[: data.rfind(b"\n") + 1]
        self._read += len(complete)
        for line in complete.split(b"\n"):
            if not line:
                continue
            try:
                value = self._fernet.decrypt(line).decode()
            except (InvalidToken, UnicodeDecodeError):
                continue
            if value not in self._values and len(self._values) < MAX_SECRETS:
                self._values.add(value)
                self._needles = None

    @property
    def values(self) -> frozenset[str]:
        with self._lock:
            self._refresh()
            return frozenset(self._values)

    def needles(self) -> _Needles:
        with self._lock:
            self._refresh()
            if self._needles is None:
                self._needles = _Needles(self._values)
            return self._needles

    def close(self) -> None:
        """Remove the shared file (the process that made the registry, at the end of the run)."""
        self._forget_file()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    def _forget_file(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def credential_field(field: str) -> tuple[str, str]:
    """Where a credential field a target declares is (`Target.credential_fields`: its JSON
    logins' `api.token` and `api.refresh_token`): `("header", name)` for `header:<name>`,
    else `("json", key)`, the last part of its dotted JSON key."""
    if field.startswith("header:"):
        return "header", field.removeprefix("header:")
    return "json", field.rsplit(".", 1)[-1]
