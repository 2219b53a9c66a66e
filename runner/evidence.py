"""Evidence of a check, sanitised before it reaches disk.

Each check case writes into `evidence/<case-slug>/` of the run directory; files are
numbered in the order they are attached. Text, JSON and file names pass through
`Sanitizer`: credentials, tokens, cookies' values, passwords and every secret value the
run holds (`homolog.secrets`) never reach the disk, whatever their encoding.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, unquote_plus, urlencode, urlsplit, urlunsplit

from .secrets import SecretRegistry, credential_field, secret_spans, slug

# json's own string encoder for ensure_ascii=False (its C version when there is one)
_encode_string = json.encoder.encode_basestring

__all__ = ["REDACTED", "Evidence", "Sanitizer", "redact_credentials"]

REDACTED = "«redacted»"
SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "x-api-key", "x-auth-token", "x-csrf-token"}
)
SENSITIVE_KEYS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "access_token",
        "id_token",
        "refresh_token",
        # the same in scripts' spelling (a single-page application's login answer); JSON
        # keys are matched without regard to case
        "accesstoken",
        "idtoken",
        "refreshtoken",
        "refresh",  # simplejwt's name for it
        "auth_token",
        "authtoken",
        "jwt",
        "client_secret",
        "code_verifier",
        "code",
        "token",
        "csrf_token",
        "session",
        "secret",
        "api_key",
        "apikey",
    }
)
# Every pattern below runs over what the SUT sent: each is linear (possessive runs, a
# token start only at a boundary, bounded tags), so a hostile body cannot make the
# sanitiser quadratic.
_JWT = re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}+\.[A-Za-z0-9_-]{5,}+\.[A-Za-z0-9_-]*+")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s++([A-Za-z0-9._~+/=-]{6,}+)")
# `code` is an OAuth secret in query strings and forms, but a FHIR/CDA coding everywhere
# else: JSON bodies keep their codes (auditors need them)
_OAUTH_ONLY = frozenset({"code", "session"})
_KEYS = "|".join(sorted(SENSITIVE_KEYS, key=len, reverse=True))
_JSON_KEYS = "|".join(sorted(SENSITIVE_KEYS - _OAUTH_ONLY, key=len, reverse=True))
_JSON_KV = re.compile(r'("(?:' + _JSON_KEYS + r')"\s*+:\s*+)"((?:[^"\\]++|\\.)*+)"', re.I)
_FORM_KV = re.compile(r"(?<![A-Za-z0-9_])((?:" + _KEYS + r")=)([^&\s\"'<>]++)", re.I)
_INPUT_TAG = re.compile(r"<input\b[^>]{0,8192}+", re.I)
_SECRET_NAME = re.compile(r"""\bname\s*+=\s*+["']?(?:""" + _KEYS + r""")(?![A-Za-z0-9_-])""", re.I)
_VALUE_ATTR = re.compile(r"""(\bvalue\s*+=\s*+)("[^"]*+"|'[^']*+'|[^\s>]++)""", re.I)
#: Values learnt from the fields above are shorter than this in forms and codings only.
_MIN_LEARNT = 8
_JSON_NEEDLES = tuple(f'"{k}"' for k in sorted(SENSITIVE_KEYS - _OAUTH_ONLY))
_FORM_NEEDLES = tuple(f"{k}=" for k in sorted(SENSITIVE_KEYS))
# The only characters outside ASCII that a case-insensitive pattern matches to an ASCII
# letter (İ, ı, ſ, the Kelvin sign): folded so that a literal test on the lowered text
# never misses what the pattern would find.
_FOLD = (("i\u0307", "i"), ("\u0131", "i"), ("\u017f", "s"))


class _Fields:
    """Which of the credential patterns can match a text, from cheap literal tests.

    Each pattern needs a literal (a quoted key, ``key=``, ``bearer``, ``eyJ``,
    ``<input``); a text without it skips that pattern's scan. The tests are supersets of
    the patterns' matches, so skipping never lets a credential through.
    """

    __slots__ = ("bearer", "form", "input", "json", "jwt")

    def __init__(self, text: str | None) -> None:
        """`text` None: every pattern may match (no test made)."""
        if text is None:
            self.json = self.form = self.bearer = self.jwt = self.input = True
            return
        low = text.lower()
        if not text.isascii():
            for a, b in _FOLD:
                low = low.replace(a, b)
        self.json = any(k in low for k in _JSON_NEEDLES)
        self.form = any(k in low for k in _FORM_NEEDLES)
        self.bearer = "bearer" in low or "basic" in low
        self.jwt = "eyJ" in text
        self.input = "<input" in low


_EVERY_FIELD = _Fields(None)
_SHORT_TEXT = 256
_SHORT_TEXTS_KEPT = 8192


class Sanitizer:
    """Removes secrets from what is written as evidence.

    Values are redacted wherever and however they appear (`homolog.secrets`): the ones
    given here, the ones registered in the run's `SecretRegistry`, and the ones the
    sanitiser learns from fields that always hold a credential (an `access_token` in a
    token response, a Bearer header, a session cookie), so that a later echo of the same
    value under another name or encoding is redacted too.
    """

    def __init__(
        self, secrets: Iterable[str] = (), *, registry: SecretRegistry | None = None, fields: Iterable[str] = ()
    ) -> None:
        """`fields`: credential fields a target declares (`Target.credential_fields`): JSON
        keys (the last part of a dotted one) and `header:<name>` headers whose values are
        learnt as secrets whatever they are, like the fields of SENSITIVE_KEYS."""
        self.registry = registry if registry is not None else SecretRegistry()
        for value in secrets:
            self.registry.add(value)
        places = [credential_field(f) for f in fields]
        self._headers = frozenset(name.lower() for kind, name in places if kind == "header")
        keys = sorted({name for kind, name in places if kind == "json"}, key=len, reverse=True)
        self._keys = tuple(f'"{k}"' for k in keys)
        self._json = (
            re.compile(r'"(?:' + "|".join(map(re.escape, keys)) + r')"\s*+:\s*+"((?:[^"\\]++|\\.)*+)"')
            if keys
            else None
        )
        # Short texts (header values above all) come back again and again: their redaction
        # is kept while the set of secrets it was made with stays the same.
        # (the secrets' needles they were made with, text -> redacted), replaced as a whole
        self._short: tuple[object, dict[str, str]] = (None, {})

    @property
    def secrets(self) -> list[str]:
        """The values redacted by value, longest first."""
        return sorted(self.registry.values, key=len, reverse=True)

    def add(self, *values: str | None) -> None:
        """Register secret values for the rest of the run (every process of it): tokens, session cookies."""
        for value in values:
            self.registry.add(value)

    def learn(self, text: str, fields: _Fields | None = None) -> None:
        """Register the values of credential fields found in `text` (tokens, passwords, cookies)."""
        fields = fields or _Fields(text)
        if self._json is not None and any(k in text for k in self._keys):
            for m in self._json.finditer(text):
                self._learn(m.group(1))
                with contextlib.suppress(ValueError):
                    self._learn(json.loads(f'"{m.group(1)}"'))
        if fields.json:
            for m in _JSON_KV.finditer(text):
                self._learn(m.group(2))
                with contextlib.suppress(ValueError):
                    self._learn(json.loads(f'"{m.group(2)}"'))
        if fields.form:
            for m in _FORM_KV.finditer(text):
                if m.group(1)[:-1].lower() not in _OAUTH_ONLY or len(m.group(2)) >= _MIN_LEARNT:
                    self._learn(m.group(2))
                    self._learn(unquote_plus(m.group(2)))
        if fields.bearer:
            for m in _BEARER.finditer(text):
                self._learn_credential(m.group(1), m.group(2))
        if fields.jwt:
            for m in _JWT.finditer(text):
                self._learn(m.group(0))

    def _learn(self, value: str) -> None:
        if len(value) >= _MIN_LEARNT:
            self.registry.add(value, learnt=True)

    def _learn_credential(self, scheme: str, value: str) -> None:
        self._learn(value)
        if scheme.lower() == "basic":
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                user_pass = base64.b64decode(value + "==", validate=False).decode()
                self._learn(user_pass.partition(":")[2])

    def text(self, text: str) -> str:
        if len(text) > _SHORT_TEXT:
            return self._text(text)[0]
        made_with, table = self._short
        if made_with is self.registry.needles():
            done = table.get(text)
            if done is not None:
                return done  # learnt from already: the same text teaches nothing new
        clean, used = self._text(text)
        made_with, table = self._short
        if made_with is not used:
            self._short = (used, {text: clean})
        elif len(table) < _SHORT_TEXTS_KEPT:
            table[text] = clean
        return clean

    def _text(self, text: str) -> tuple[str, object]:
        """`text` redacted, and the needles it was redacted with."""
        fields = _Fields(text)
        self.learn(text, fields)
        needles = self.registry.needles()
        spans = secret_spans(text, needles)
        if spans:
            parts, pos = [], 0
            for start, end in spans:
                parts += [text[pos:start], REDACTED]
                pos = end
            parts.append(text[pos:])
            text = "".join(parts)
        # Cutting secrets out and the substitutions below only replace text with
        # REDACTED or keep the field's name: no literal the tests look for appears, so
        # the tests made on the text as received still hold.
        return _redact_fields(text, fields), needles

    def url(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.password:
            self.add(unquote(parts.password))
            netloc = f"{parts.username}:{REDACTED}@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
            parts = parts._replace(netloc=netloc)
        if parts.query:
            query = []
            for k, v in parse_qsl(parts.query, keep_blank_values=True):
                if k.lower() in SENSITIVE_KEYS:
                    self._learn(v)
                    v = REDACTED
                query.append((k, v))
            parts = parts._replace(query=urlencode(query, safe=REDACTED))
        return self.text(urlunsplit(parts))

    def headers(self, headers: Iterable[tuple[str, str]]) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value in headers:
            lower = name.lower()
            if lower in SENSITIVE_HEADERS or lower in self._headers:
                scheme = value.split(" ", 1)[0] if " " in value and lower.endswith("authorization") else ""
                credential = value.split(" ", 1)[1] if scheme else value
                self._learn_credential(scheme, credential.strip())
                value = f"{scheme} {REDACTED}".strip()
            elif lower == "set-cookie":
                self._learn(value.partition(";")[0].partition("=")[2].strip())
                value = _redact_set_cookie(value)
            elif lower == "location":
                value = self.url(value)
            else:
                value = self.text(value)
            out[name] = f"{out[name]}, {value}" if name in out else value
        return out

    def name(self, name: str) -> str:
        """A file name for evidence: no secret in it, in any form, even once slugged."""
        safe = slug(self.text(name)).strip("-.")
        for value in self.registry.needles().slugs:
            safe = safe.replace(value, "redacted")
        return safe


def redact_credentials(text: str) -> str:
    """`text` with the fields that always hold a credential redacted, whatever their value:
    JWTs, Bearer and Basic values, JSON and form credential keys, password inputs' values."""
    return _redact_fields(text, _Fields(text))


def _redact_fields(text: str, fields: _Fields = _EVERY_FIELD) -> str:
    """Credential fields of `text` replaced by REDACTED (`fields`: the patterns that may match)."""
    if fields.jwt:
        text = _JWT.sub(REDACTED, text)
    if fields.bearer:
        text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    if fields.json:
        text = _JSON_KV.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)
    if fields.form:
        text = _FORM_KV.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    if fields.input:
        text = _INPUT_TAG.sub(_redact_input, text)
    return text


def _redact_input(m: re.Match[str]) -> str:
    tag = m.group(0)
    if not _SECRET_NAME.search(tag):
        return tag
    return _VALUE_ATTR.sub(lambda v: f'{v.group(1)}"{REDACTED}"', tag)


def _redact_set_cookie(value: str) -> str:
    """Keep the cookie's name and attributes (checks need them), drop its value."""
    first, _, attrs = value.partition(";")
    name = first.split("=", 1)[0].strip()
    return f"{name}={REDACTED}" + (f";{attrs}" if attrs else "")


def indented_json(obj: Any) -> str:
    """`json.dumps(obj, indent=2, ensure_ascii=False, default=str)`, the same text, faster.

    Python's encoder is written in Python when it indents (its C encoder only writes
    compact JSON), and an HTTP exchange is written as evidence by every check. Here each
    string is still encoded by the C function; the layout is joined once. Anything but
    plain JSON values (str, int, float, bool, None; dicts with str keys, lists, tuples, of
    exactly those types) takes `json.dumps` itself, as does a structure nested too deep.
    """
    parts: list[str] = []
    try:
        _indent(obj, parts, "\n")
    except (_NotPlain, RecursionError):
        return json.dumps(obj, indent=2, ensure_ascii=False, default=str)
    return "".join(parts)


class _NotPlain(Exception):
    """A value `indented_json` leaves to `json.dumps`."""


def _indent(obj: Any, out: list[str], newline: str) -> None:
    kind = type(obj)
    if kind is str:
        out.append(_encode_string(obj))
    elif obj is None:
        out.append("null")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif kind is int:
        out.append(int.__repr__(obj))
    elif kind is float:
        out.append(_float(obj))
    elif kind is dict:
        if not obj:
            out.append("{}")
            return
        inner = newline + "  "
        out.append("{")
        first = True
        for key, value in obj.items():
            if type(key) is not str:
                raise _NotPlain
            out.append(inner if first else "," + inner)
            first = False
            out.append(_encode_string(key))
            out.append(": ")
            _indent(value, out, inner)
        out.append(newline + "}")
    elif kind is list or kind is tuple:
        if not obj:
            out.append("[]")
            return
        inner = newline + "  "
        out.append("[")
        first = True
        for value in obj:
            out.append(inner if first else "," + inner)
            first = False
            _indent(value, out, inner)
        out.append(newline + "]")
    else:
        raise _NotPlain


def _put(path: Path, data: bytes | Path) -> None:
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        shutil.copyfile(data, path)


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value == float("inf"):
        return "Infinity"
    if value == float("-inf"):
        return "-Infinity"
    return float.__repr__(value)


#: Between a case's slug and the name of one of its evidence files: a slug never holds it.
SEPARATOR = "@"
# The evidence folders this process has made (`Evidence.dir`).
_MADE: set[Path] = set()


class Evidence:
    """Files attached by one check case; paths returned are relative to the run directory."""

    def __init__(self, run_dir: Path, slug: str, sanitizer: Sanitizer | None = None) -> None:
        self.run_dir = run_dir
        self.slug = slug
        self.sanitizer = sanitizer or Sanitizer()
        self.paths: list[str] = []
        self.caveats: list[dict[str, Any]] = []
        self._n = 0

    def secret(self, value: str) -> str:
        """Register a secret the check holds (a password it made, a token it received); return it.

        From then on the value is redacted, in every encoding, from everything the run
        writes, in every process of the run.
        """
        self.sanitizer.add(value)
        return value

    @property
    def dir(self) -> Path:
        """The run's evidence folder; this check's files there are named `<slug>@<n>-<name>`.

        One folder for every check rather than one per check: on a slow file system making
        a folder costs as much as the file it holds, for nothing the reader needs (the
        results name each check's files, and its files sort together).
        """
        path = self.run_dir / "evidence"
        if path not in _MADE:  # made once per process, not asked again for each file
            path.mkdir(parents=True, exist_ok=True)
            _MADE.add(path)
        return path

    def _target(self, name: str) -> Path:
        self._n += 1
        safe = self.sanitizer.name(name)[:80] or "evidence"
        return self.dir / f"{self.slug}{SEPARATOR}{self._n:02d}-{safe}"

    def _write(self, path: Path, data: bytes | Path) -> None:
        """`data`, or a copy of the file `data`, at `path`."""
        try:
            _put(path, data)
        except FileNotFoundError:
            if path.parent.is_dir():
                raise  # not the folder: the file copied is missing
            path.parent.mkdir(parents=True, exist_ok=True)  # removed after this process made it
            _put(path, data)

    def _record(self, path: Path) -> str:
        rel = path.relative_to(self.run_dir).as_posix()
        self.paths.append(rel)
        return rel

    def attach_bytes(self, name: str, data: bytes, *, media_type: str = "application/octet-stream") -> str:
        """Write binary evidence (screenshots, documents the SUT produced).

        Bytes that are UTF-8 text (a CDA document, an XML answer) are sanitised as text;
        in other bytes the raw value of every secret is overwritten. Never attach a
        compressed or encrypted container holding a secret: it cannot be seen there.
        """
        del media_type  # the extension of `name` says what it is
        path = self._target(name)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            for value in self.sanitizer.secrets:
                raw = value.encode()
                data = data.replace(raw, b"\0" * len(raw))
        else:
            data = self.sanitizer.text(text).encode("utf-8")
        self._write(path, data)
        return self._record(path)

    def attach_text(self, name: str, text: str, *, media_type: str = "text/plain") -> str:
        """Write sanitised text evidence."""
        del media_type
        path = self._target(name)
        self._write(path, self.sanitizer.text(text).encode("utf-8"))
        return self._record(path)

    def attach_json(self, name: str, obj: Any) -> str:
        """Write sanitised JSON evidence."""
        text = indented_json(obj)
        if not name.endswith(".json"):
            name += ".json"
        return self.attach_text(name, text, media_type="application/json")

    def caveat(self, kind: str, text: str, *, packages: Iterable[str] = (), weakens: str | None = None) -> None:
        """Record a reservation on this result: its verdict stands, but `text` says what limited it.

        For what a check could not fully verify and yet does not make it undecidable (a
        FHIR dependency package missing: base rules still checked, some bindings not).
        Every report shows it beside the verdict, passed results included. `kind` names
        the reservation (`missing-fhir-packages`), `packages` the packages concerned,
        `weakens` what went unchecked. The same caveat recorded twice is kept once.
        """
        if not kind or not text:
            raise ValueError("a caveat needs a kind and a text")
        entry = {
            "kind": kind,
            "text": self.sanitizer.text(text),
            "packages": [str(p) for p in packages],
            "weakens": self.sanitizer.text(weakens) if weakens else None,
        }
        if entry not in self.caveats:
            self.caveats.append(entry)

    def attach_file(self, source: Path, *, name: str | None = None) -> str:
        """Copy a file produced by a tool (trace, report) into the evidence as is."""
        path = self._target(name or source.name)
        self._write(path, source)
        return self._record(path)
