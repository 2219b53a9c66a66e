"""Pure readers of HTTP security headers (no engine import, no network).

Each function takes header values as the server sent them and returns facts or a
list of problems written for the vendor; the checks decide what a problem means.
"""

from __future__ import annotations

import calendar
import html
import re
import time
from dataclasses import dataclass

__all__ = [
    "REFERRER_POLICIES",
    "Cookie",
    "applied_referrer_policy",
    "ascii_int",
    "cookie_date",
    "cors_problem",
    "csp_directives",
    "csp_list_problems",
    "csp_policies",
    "csp_problems",
    "frame_ancestors",
    "frame_ancestors_open",
    "frame_protection",
    "hsts_max_age",
    "leak_findings",
    "nosniff",
    "parse_set_cookie",
    "split_values",
]


_ASCII_DIGITS = re.compile(r"[0-9]{1,20}")


def ascii_int(text: str) -> int | None:
    """A non-negative decimal written in ASCII digits, None otherwise.

    `str.isdigit` and `int` accept any script's digits (`３１５３６０００`, `٣`): a
    browser does not, so a header written with them protects nothing.
    """
    return int(text) if _ASCII_DIGITS.fullmatch(text) else None


def split_values(fields: list[str]) -> list[str]:
    """The values of a header's fields, as Fetch's "get, decode and split" gives them.

    The fields are joined with commas, split at each comma outside a quoted string and
    trimmed: `X-Frame-Options: DENY` sent twice by an application and its proxy reads
    `["DENY", "DENY"]`, as one field `DENY, DENY` does.
    """
    values: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for ch in ",".join(fields):
        if quoted:
            current.append(ch)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
            current.append(ch)
        elif ch == ",":
            values.append("".join(current).strip(" \t"))
            current = []
        else:
            current.append(ch)
    values.append("".join(current).strip(" \t"))
    return values if fields else []


def hsts_max_age(value: str) -> int | None:
    """The ``max-age`` of one Strict-Transport-Security field, None when absent or invalid.

    Browsers read only the first field of a response (RFC 6797 section 8.1): the caller
    passes that one. A directive given twice voids the field (section 6.1: each directive
    appears once; a field that breaks the syntax is ignored).
    """
    seen: set[str] = set()
    age: int | None = None
    for part in value.split(";"):
        name, _, arg = part.strip().partition("=")
        name = name.strip().lower()
        if not name:
            continue
        if name in seen:
            return None
        seen.add(name)
        if name == "max-age":
            arg = arg.strip()
            if len(arg) >= 2 and arg[0] == arg[-1] == '"':
                arg = arg[1:-1]
            age = ascii_int(arg)
            if age is None:
                return None
    return age


def nosniff(fields: list[str]) -> bool:
    """Whether a browser reads X-Content-Type-Options as nosniff: its first value (Fetch)."""
    values = split_values(fields)
    return bool(values) and values[0].lower() == "nosniff"


#: The referrer policies of the Referrer Policy specification.
REFERRER_POLICIES = (
    "no-referrer",
    "no-referrer-when-downgrade",
    "same-origin",
    "origin",
    "strict-origin",
    "origin-when-cross-origin",
    "strict-origin-when-cross-origin",
    "unsafe-url",
)


def applied_referrer_policy(fields: list[str]) -> str | None:
    """The policy a browser applies from Referrer-Policy fields: the last one it knows."""
    known = [v.lower() for v in split_values(fields) if v.lower() in REFERRER_POLICIES]
    return known[-1] if known else None


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


def csp_policies(fields: list[str]) -> list[str]:
    """The policies of Content-Security-Policy fields: each field is a comma-separated list
    of policies (CSP3; a comma cannot occur inside one), all of them enforced."""
    return [p.strip() for field in fields for p in field.split(",") if p.strip()]


_SCHEME_ONLY = {"http:", "https:", "data:", "blob:", "filesystem:", "*"}


def _csp_weaknesses(value: str) -> dict[str, str]:
    """What one policy leaves open, by aspect (a script aspect, plugins, defaults, framing)."""
    d = csp_directives(value)
    weak: dict[str, str] = {}
    script = d.get("script-src", d.get("default-src"))
    if script is None:
        text = "neither script-src nor default-src is set: any script may run"
        weak.update({"inline": text, "eval": text, "sources": text})
    else:
        has_nonce_or_hash = any(t.startswith(("'nonce-", "'sha256-", "'sha384-", "'sha512-")) for t in script)
        if "'unsafe-inline'" in script and not has_nonce_or_hash:
            weak["inline"] = "script-src allows 'unsafe-inline'"
        if "'unsafe-eval'" in script:
            weak["eval"] = "script-src allows 'unsafe-eval'"
        wide = sorted(_SCHEME_ONLY.intersection(script))
        if wide:
            weak["sources"] = f"script-src allows any source via {' '.join(wide)}"
    obj = d.get("object-src", d.get("default-src"))
    if obj is None:
        weak["object"] = "neither object-src nor default-src is set: plugins are unrestricted"
    elif "*" in obj:
        weak["object"] = "object-src allows *"
    if "*" in d.get("default-src", []):
        weak["default"] = "default-src allows *"
    if "*" in d.get("frame-ancestors", []):
        weak["frame"] = "frame-ancestors allows *"
    return weak


def csp_problems(value: str) -> list[str]:
    """Why one CSP policy does not restrict scripts and plugins; empty when it does."""
    return list(dict.fromkeys(_csp_weaknesses(value).values()))


def csp_list_problems(policies: list[str]) -> list[str]:
    """Why enforced policies together leave scripts or plugins open; empty when they do not.

    A resource loads only if every policy allows it: an aspect is open only when each
    policy leaves it open (one policy restricting scripts, another plugins, protect both).
    """
    if not policies:
        return []
    each = [_csp_weaknesses(p) for p in policies]
    problems = [text for aspect, text in each[0].items() if all(aspect in w for w in each[1:])]
    return list(dict.fromkeys(problems))


def frame_ancestors_open(sources: list[str]) -> bool:
    """Whether a frame-ancestors source list lets any site frame the page (``*``, a bare
    scheme such as ``https:``, or a wildcard host such as ``https://*``)."""
    for token in sources:
        if token == "*" or re.fullmatch(r"[a-z][a-z0-9+.-]*:", token):
            return True
        host = token.split("://", 1)[-1]
        if re.split(r"[:/]", host, maxsplit=1)[0] == "*":
            return True
    return False


def frame_ancestors(policies: list[str]) -> list[list[str]]:
    """The frame-ancestors source lists of the policies that have one."""
    return [d["frame-ancestors"] for d in map(csp_directives, policies) if "frame-ancestors" in d]


def frame_protection(xfo_fields: list[str], policies: list[str]) -> str | None:
    """How the page is protected from framing by other sites, or None when it is not.

    As the HTML standard decides: when an enforced policy has frame-ancestors,
    X-Frame-Options is ignored, and each such policy must allow the embedding site;
    otherwise X-Frame-Options is read as a set of values, where several different values
    block framing if one of them is DENY, SAMEORIGIN or ALLOWALL, and allow it otherwise.
    """
    ancestors = frame_ancestors(policies)
    if ancestors:
        strict = [a for a in ancestors if not frame_ancestors_open(a)]
        return f"CSP frame-ancestors {' '.join(strict[0]) or '(empty)'}" if strict else None
    values = list(dict.fromkeys(v.lower() for v in split_values(xfo_fields)))
    if len(values) > 1:
        return f"X-Frame-Options {', '.join(values)}" if {"deny", "sameorigin", "allowall"} & set(values) else None
    if values and values[0] in ("deny", "sameorigin"):
        return f"X-Frame-Options {values[0].upper()}"
    return None


@dataclass(frozen=True)
class Cookie:
    """The attributes of one Set-Cookie header that matter for session safety."""

    name: str
    secure: bool
    httponly: bool
    samesite: str | None
    deleted: bool = False  # the server dropping the cookie (Max-Age <= 0, Expires past, or emptied)

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


_DATE_DELIMITERS = re.compile(r"[\x09\x20-\x2f\x3b-\x40\x5b-\x60\x7b-\x7e]+")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def cookie_date(text: str) -> float | None:
    """The time an Expires attribute names, read as RFC 6265 (5.1.1) has browsers read it
    (`Thu, 01 Jan 1970 00:00:00 GMT`, `Thu, 01-Jan-70 00:00:01 GMT`...); None when unreadable."""
    clock = day = month = year = None
    for token in _DATE_DELIMITERS.split(text[:256]):
        if clock is None and (m := re.match(r"(\d{1,2}):(\d{1,2}):(\d{1,2})(?!\d)", token)):
            clock = tuple(int(g) for g in m.groups())
        elif day is None and (m := re.match(r"(\d{1,2})(?!\d)", token)):
            day = int(m.group(1))
        elif month is None and token[:3].lower() in _MONTHS:
            month = _MONTHS.index(token[:3].lower()) + 1
        elif year is None and (m := re.match(r"(\d{2,4})(?!\d)", token)):
            year = int(m.group(1))
            year += 1900 if 70 <= year <= 99 else 2000 if year <= 69 else 0
    if clock is None or day is None or month is None or year is None:
        return None
    if not (1 <= day <= 31 and year >= 1601 and clock[0] <= 23 and clock[1] <= 59 and clock[2] <= 59):
        return None
    return float(calendar.timegm((year, month, day, *clock)))


def parse_set_cookie(value: str) -> Cookie:
    """Read one Set-Cookie header value (RFC 6265 attributes, case-insensitive)."""
    first, *attrs = value.split(";")
    name, _, cookie_value = first.partition("=")
    secure = httponly = False
    samesite = None
    max_age: int | None = None
    expires: float | None = None
    for attr in attrs:
        key, _, arg = attr.strip().partition("=")
        key = key.strip().lower()
        if key == "secure":
            secure = True
        elif key == "httponly":
            httponly = True
        elif key == "samesite":
            samesite = arg.strip()
        elif key == "max-age" and re.fullmatch(r"-?[0-9]{1,20}", arg.strip()):
            max_age = int(arg.strip())
        elif key == "expires":
            expires = cookie_date(arg)
    # Max-Age wins over Expires (RFC 6265, 5.3)
    gone = max_age <= 0 if max_age is not None else expires is not None and expires < time.time()
    deleted = gone or cookie_value.strip() in ("", '""')
    return Cookie(name=name.strip(), secure=secure, httponly=httponly, samesite=samesite, deleted=deleted)


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


_BREAK = re.compile(r"<br\s{0,64}+/?>", re.IGNORECASE)


def _as_shown(body: str) -> str | None:
    """The text of a stack an error page renders in HTML, its lines broken by `<br>` and
    indented by `&nbsp;` (Express's default error handler, as finalhandler writes it:
    `<pre>Error: ...<br> &nbsp; &nbsp;at fn (/app/x.js:3:5)`); None when the body has
    neither."""
    low = body[:1_000_000].lower()
    if "<br" not in low and "&nbsp;" not in low and "&#160;" not in low:
        return None
    return html.unescape(_BREAK.sub("\n", body)).replace("\xa0", " ")


def leak_findings(headers: dict[str, str], body: str) -> list[str]:
    """Stack traces in the body (as sent, or as an HTML error page shows it) and software
    versions in headers, as short findings."""
    found = []
    shown = _as_shown(body)
    for rx, label in _TRACE_RES:
        m = rx.search(body) or (rx.search(shown) if shown is not None else None)
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
