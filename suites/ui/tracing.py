"""Playwright traces made safe for evidence.

A trace records form fills, DOM snapshots (with input values) and network exchanges
(with cookies and request bodies), so a raw trace of a login holds the password and the
session cookie. Before a trace is attached, every text member of the archive has the
known secret values (the target's secrets, the context's cookie values, in plain and
URL-encoded form) replaced, cookie / authorization header values blanked, and
the fields that always hold a credential redacted whatever their value
(`homolog.redact_credentials`: a JWT, a Bearer value, an `access_token` in a JSON answer
the browser's own login received). Large known texts (the axe-core source) are replaced by
a label to keep traces small.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus

from homolog import credential_field, redact_credentials

__all__ = ["MAX_TRACE_BYTES", "sanitize_trace"]

MAX_TRACE_BYTES = 8 * 1024 * 1024
REDACTED = "[redacted]"
_TEXT_SUFFIXES = (".trace", ".network", ".stacks", ".json", ".jsonl", ".html", ".txt", ".css")
_HEADER = re.compile(
    r'("name"\s*:\s*"(?:cookie|set-cookie|authorization|proxy-authorization)"\s*,\s*"value"\s*:\s*)"(?:[^"\\]|\\.)*"',
    re.IGNORECASE,
)


def _variants(secrets: Iterable[str]) -> list[str]:
    out: set[str] = set()
    for s in secrets:
        if len(s) < 4:  # too short to redact without mangling unrelated text
            continue
        out.update({s, quote(s, safe=""), quote_plus(s)})
    # Longest first so that a secret containing another is replaced whole.
    return sorted(out, key=len, reverse=True)


def _omissions(omit: Mapping[str, str]) -> list[tuple[str, str]]:
    out = []
    for text, label in omit.items():
        # The trace is JSON lines: the text appears JSON-escaped (non-ASCII kept).
        for form in {text, json.dumps(text, ensure_ascii=False)[1:-1], json.dumps(text)[1:-1]}:
            out.append((form, f"[omitted: {label}]"))
    return out


def _declared(fields: Iterable[str]) -> list[re.Pattern[str]]:
    """Patterns of the credential fields a target declares (`api.token: access`,
    `header:X-Auth-Token`): headers of that name as a trace records them, and JSON members
    of that name, as a body holds them or JSON-escaped inside a trace event. Group 1 ends
    where the value starts, group 2 is the quote that closes it."""
    out = []
    for kind, name in map(credential_field, fields):
        escaped = re.escape(name)
        if kind == "header":
            out.append(re.compile(r'("name"\s*:\s*"' + escaped + r'"\s*,\s*"value"\s*:\s*")(?:[^"\\]|\\.)*(")', re.I))
        else:
            out.append(re.compile(r'(\\?"' + escaped + r'\\?"\s*:\s*\\?")(?:[^"\\]|\\.)*?(\\?")'))
    return out


def sanitize_trace(
    data: bytes, secrets: Iterable[str], *, omit: Mapping[str, str] | None = None, fields: Iterable[str] = ()
) -> bytes:
    """Return a copy of trace archive `data` with secrets and credential headers removed.

    `omit` maps large known texts (the injected axe-core source, recorded once per
    injection and per DOM snapshot) to a label that replaces them, to keep traces small.
    `fields`: the credential fields the target declares (its JSON login's `token` and
    `refresh_token`), redacted whatever their name and value, since a browser's own login
    receives tokens the harness never saw under names it cannot guess.
    """
    variants = _variants(secrets)
    omissions = _omissions(omit or {})
    declared = _declared(fields)
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            base = info.filename.rsplit("/", 1)[-1]
            if base.endswith(_TEXT_SUFFIXES) or "." not in base:
                text = body.decode("utf-8", errors="replace")
                for form, label in omissions:
                    text = text.replace(form, label)
                for v in variants:
                    text = text.replace(v, REDACTED)
                text = _HEADER.sub(lambda m: m.group(1) + f'"{REDACTED}"', text)
                for pattern in declared:
                    text = pattern.sub(lambda m: m.group(1) + REDACTED + m.group(2), text)
                text = redact_credentials(text)
                body = text.encode("utf-8")
            elif any(v.encode() in body for v in variants):
                # A binary resource that still holds a secret (e.g. a response body
                # captured as a blob): drop it rather than ship it.
                continue
            dst.writestr(info.filename, body)
    return out.getvalue()
