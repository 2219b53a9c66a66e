"""Evidence of a check, sanitised before it reaches disk.

Each check case writes into `evidence/<case-slug>/` of the run directory; files are
numbered in the order they are attached. Text and JSON pass through `Sanitizer`:
credentials, tokens, cookies' values, passwords and the values of the secrets the
target names never reach the disk.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["REDACTED", "Evidence", "Sanitizer"]

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
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}")
# `code` is an OAuth secret in query strings and forms, but a FHIR/CDA coding everywhere
# else: JSON bodies keep their codes (auditors need them)
_OAUTH_ONLY = frozenset({"code", "session"})
_KEYS = "|".join(sorted(SENSITIVE_KEYS, key=len, reverse=True))
_JSON_KEYS = "|".join(sorted(SENSITIVE_KEYS - _OAUTH_ONLY, key=len, reverse=True))
_JSON_KV = re.compile(r'("(?:' + _JSON_KEYS + r')"\s*:\s*)"(?:[^"\\]|\\.)*"', re.I)
_FORM_KV = re.compile(r"(?<![A-Za-z0-9_])((?:" + _KEYS + r")=)[^&\s\"'<>]+", re.I)
_HTML_INPUT = re.compile(r'(<input[^>]*name="(?:' + _KEYS + r')"[^>]*value=")[^"]*', re.I)


class Sanitizer:
    """Removes secrets from what is written as evidence."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # longest first so that a secret containing another is removed whole
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def add(self, *values: str) -> None:
        """Redact these values too from now on (tokens and session cookies the run obtains)."""
        fresh = {v for v in values if v and len(v) >= 4} - set(self.secrets)
        if fresh:
            self.secrets = sorted({*self.secrets, *fresh}, key=len, reverse=True)

    def text(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        text = _JWT.sub(REDACTED, text)
        text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
        text = _JSON_KV.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)
        text = _FORM_KV.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
        return _HTML_INPUT.sub(lambda m: f"{m.group(1)}{REDACTED}", text)

    def url(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.password:
            netloc = f"{parts.username}:{REDACTED}@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
            parts = parts._replace(netloc=netloc)
        if parts.query:
            query = [
                (k, REDACTED if k.lower() in SENSITIVE_KEYS else v)
                for k, v in parse_qsl(parts.query, keep_blank_values=True)
            ]
            parts = parts._replace(query=urlencode(query, safe=REDACTED))
        return self.text(urlunsplit(parts))

    def headers(self, headers: Iterable[tuple[str, str]]) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value in headers:
            lower = name.lower()
            if lower in SENSITIVE_HEADERS:
                scheme = value.split(" ", 1)[0] if " " in value and lower.endswith("authorization") else ""
                value = f"{scheme} {REDACTED}".strip()
            elif lower == "set-cookie":
                value = _redact_set_cookie(value)
            elif lower == "location":
                value = self.url(value)
            else:
                value = self.text(value)
            out[name] = f"{out[name]}, {value}" if name in out else value
        return out


def _redact_set_cookie(value: str) -> str:
    """Keep the cookie's name and attributes (checks need them), drop its value."""
    first, _, attrs = value.partition(";")
    name = first.split("=", 1)[0].strip()
    return f"{name}={REDACTED}" + (f";{attrs}" if attrs else "")


class Evidence:
    """Files attached by one check case; paths returned are relative to the run directory."""

    def __init__(self, run_dir: Path, slug: str, sanitizer: Sanitizer | None = None) -> None:
        self.run_dir = run_dir
        self.slug = slug
        self.sanitizer = sanitizer or Sanitizer()
        self.paths: list[str] = []
        self._n = 0

    @property
    def dir(self) -> Path:
        path = self.run_dir / "evidence" / self.slug
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _target(self, name: str) -> Path:
        self._n += 1
        safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:80] or "evidence"
        return self.dir / f"{self._n:02d}-{safe}"

    def _record(self, path: Path) -> str:
        rel = path.relative_to(self.run_dir).as_posix()
        self.paths.append(rel)
        return rel

    def attach_bytes(self, name: str, data: bytes, *, media_type: str = "application/octet-stream") -> str:
        """Write binary evidence as is (screenshots, traces): never put secrets in it."""
        del media_type  # the extension of `name` says what it is
        path = self._target(name)
        path.write_bytes(data)
        return self._record(path)

    def attach_text(self, name: str, text: str, *, media_type: str = "text/plain") -> str:
        """Write sanitised text evidence."""
        del media_type
        path = self._target(name)
        path.write_text(self.sanitizer.text(text), encoding="utf-8")
        return self._record(path)

    def attach_json(self, name: str, obj: Any) -> str:
        """Write sanitised JSON evidence."""
        text = json.dumps(obj, indent=2, ensure_ascii=False, default=str)
        if not name.endswith(".json"):
            name += ".json"
        return self.attach_text(name, text, media_type="application/json")

    def attach_file(self, source: Path, *, name: str | None = None) -> str:
        """Copy a file produced by a tool (trace, report) into the evidence as is."""
        path = self._target(name or source.name)
        shutil.copyfile(source, path)
        return self._record(path)
