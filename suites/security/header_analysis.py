"""Pure readers of HTTP security headers (no engine import, no network).

Each function takes header values as the server sent them and returns facts or a
list of problems written for the vendor; the checks decide what a problem means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "Cookie",
    "ascii_int",
    "cors_problem",
    "csp_directives",
    "csp_problems",
    "frame_protection",
    "hsts_max_age",
    "leak_findings",
    "parse_set_cookie",
]


_ASCII_DIGITS = re.compile(r"[0-9]{1,20}")


def ascii_int(text: str) -> int | None:
    """A non-negative decimal written in ASCII digits, None otherwise.

    `str.isdigit` and `int` accept any script's digits (`３１５３６０００`, `٣`): a
    browser does not, so a header written with them protects nothing.
    """
    return int(text) if _ASCII_DIGITS.fullmatch(text) else None


def hsts_max_age(value: str) -> int | None:
    """The ``max-age`` of a Strict-Transport-Security value, None when absent or invalid."""
    for part in value.split(";"):
        name, _, arg = part.strip().partition("=")
        if name.strip().lower() == "max-age":
            arg = arg.strip()
            if len(arg) >= 2 and arg[0] == arg[-1] == '"':
                arg = arg[1:-1]
            return ascii_int(arg)
    return None


def csp_directives(value: str) -> dict[str, list[str]]:
    """Directives of one CSP header value: name (lower case) -> source tokens.

    Per CSP3, a repeated directive is ignored after its first occurrence.
    """
    out: dict[str, list[str]] = {}
    for chunk in value.split(";"):
        tokens = chunk.split()
        if tokens:
            out.setdefault(tokens[0].lower(), [t.lower() for t in tokens[1:]])
    return out


_SCHEME_ONLY = {"http:", "https:", "data:", "blob:", "filesystem:", "*"}


def csp_problems(value: str) -> list[str]:
    """Why a CSP does not restrict scripts and plugins; empty when it does."""
    d = csp_directives(value)
    problems: list[str] = []
    script = d.get("script-src", d.get("default-src"))
    if script is None:
        problems.append("neither script-src nor default-src is set: any script may run")
    else:
        has_nonce_or_hash = any(t.startswith(("'nonce-", "'sha256-", "'sha384-", "'sha512-")) for t in script)
        if "'unsafe-inline'" in script and not has_nonce_or_hash:
            problems.append("script-src allows 'unsafe-inline'")
        if "'unsafe-eval'" in script:
            problems.append("script-src allows 'unsafe-eval'")
        wide = sorted(_SCHEME_ONLY.intersection(script))
        if wide:
            problems.append(f"script-src allows any source via {' '.join(wide)}")
    obj = d.get("object-src", d.get("default-src"))
    if obj is None:
        problems.append("neither object-src nor default-src is set: plugins are unrestricted")
    elif "*" in obj:
        problems.append("object-src allows *")
    if "*" in d.get("default-src", []):
        problems.append("default-src allows *")
    if "*" in d.get("frame-ancestors", []):
        problems.append("frame-ancestors allows *")
    return problems


def frame_protection(x_frame_options: str | None, csp: str | None) -> str | None:
    """How the page is protected from framing, or None when it is not."""
    if csp:
        ancestors = csp_directives(csp).get("frame-ancestors")
        if ancestors is not None and "*" not in ancestors and not ({"http:", "https:"} & set(ancestors)):
            return f"CSP frame-ancestors {' '.join(ancestors)}"
    if x_frame_options and x_frame_options.strip().upper() in ("DENY", "SAMEORIGIN"):
        return f"X-Frame-Options {x_frame_options.strip().upper()}"
    return None


@dataclass(frozen=True)
class Cookie:
    """The attributes of one Set-Cookie header that matter for session safety."""

    name: str
    secure: bool
    httponly: bool
    samesite: str | None

    def problems(self, allowed_samesite: tuple[str, ...] = ("lax", "strict")) -> list[str]:
        """Missing or weak attributes of this cookie."""
        out = []
        if not self.secure:
            out.append("no Secure")
        if not self.httponly:
            out.append("no HttpOnly")
        if self.samesite is None:
            out.append("no SameSite")
        elif self.samesite.lower() not in allowed_samesite:
            out.append(f"SameSite={self.samesite}")
        return out


def parse_set_cookie(value: str) -> Cookie:
    """Read one Set-Cookie header value (RFC 6265 attributes, case-insensitive)."""
    first, *attrs = value.split(";")
    name = first.split("=", 1)[0].strip()
    secure = httponly = False
    samesite = None
    for attr in attrs:
        key, _, arg = attr.strip().partition("=")
        key = key.strip().lower()
        if key == "secure":
            secure = True
        elif key == "httponly":
            httponly = True
        elif key == "samesite":
            samesite = arg.strip()
    return Cookie(name=name, secure=secure, httponly=httponly, samesite=samesite)


# Markers of a stack trace or of a debugging page, across common stacks. They run over
# bodies the SUT chose, so each is linear in the body: a run that can be long is
# possessive or bounded, and a pattern that must look across a line starts only at a
# line start, so that no two attempts scan the same text (`bench/hostile.py` measures
# them on 5 MB bodies made to defeat them).
_TRACE_PATTERNS = [
    (r"Traceback \(most recent call last\)", "Python traceback"),
    (r'File "[^"\n]{1,1024}+", line \d', "Python source location"),
    (r"\bat [\w$.]{1,1024}+\([\w$]{1,256}+\.java:\d", "Java stack frame"),
    (r'Exception in thread "', "Java exception"),
    (r"(?m)^[ \t]{0,64}+at [\w.<>`]{1,1024}+\([^()\n]{0,1024}+\) in [^\n]{1,1024}?:line \d", ".NET stack frame"),
    (r"System\.\w{0,64}Exception", ".NET exception"),
    (r"(?:Fatal error|Warning|Parse error)</b>:(?:(?!</b>:)[^\n]){0,1024}? on line <b>\d", "PHP error"),
    (r"(?m)^[ \t]{1,64}+at [^\n(]{0,1024}+\([^\n()]{1,2048}:\d{1,9}:\d{1,9}\)", "Node.js stack"),
    (r"Werkzeug Debugger|Whitelabel Error Page|DEBUG = True|Django Version:", "debug page"),
    (r"\b(?:SQLSTATE\[|ORA-\d{5}|psycopg2?\.|sqlite3\.\w{0,64}Error)", "database error"),
]
_TRACE_RES = [(re.compile(p), label) for p, label in _TRACE_PATTERNS]

# "Product/1.2" in Server / X-Powered-By tells an attacker which CVEs to try.
_VERSION_TOKEN = re.compile(r"(?<![\w.-])[A-Za-z][\w.-]{0,256}+/\d")
_VERSION_HEADERS = ("server", "x-powered-by", "x-aspnet-version", "x-aspnetmvc-version")


def leak_findings(headers: dict[str, str], body: str) -> list[str]:
    """Stack traces in the body and software versions in headers, as short findings."""
    found = []
    for rx, label in _TRACE_RES:
        m = rx.search(body)
        if m:
            found.append(f"{label} in body: {m.group(0)[:80]!r}")
    for name in _VERSION_HEADERS:
        value = headers.get(name)
        if value is None:
            continue
        if name.startswith("x-aspnet") or _VERSION_TOKEN.search(value):
            found.append(f"{name} header discloses a version: {value[:80]!r}")
    return found


def cors_problem(origin_sent: str, allow_origin: str | None, allow_credentials: str | None) -> str | None:
    """Why a CORS answer lets any site read credentialed responses, or None."""
    if allow_origin is None:
        return None
    creds = (allow_credentials or "").strip().lower() == "true"
    if not creds:
        return None
    if allow_origin.strip() == "*":
        return "Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true"
    if allow_origin.strip() == origin_sent:
        return (
            f"the untrusted origin {origin_sent} is reflected in Access-Control-Allow-Origin "
            "with Access-Control-Allow-Credentials: true"
        )
    if allow_origin.strip().lower() == "null":
        return "Access-Control-Allow-Origin: null with credentials"
    return None
