"""Pure readers of HTTP responses against RFC 9110 (no engine import, no network).

Each function takes what the server sent (header lines as a list of pairs, in order,
repeats kept) and returns problems written for the vendor, each naming its clause.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Sequence

__all__ = [
    "BANNER_HEADERS",
    "FRAMEWORKS",
    "SINGLETON_FIELDS",
    "banner_findings",
    "content_type_problem",
    "date_problem",
    "duplicated_singletons",
    "is_imf_fixdate",
]

Headers = Sequence[tuple[str, str]]

# Fields whose definition allows one value only: a sender MUST NOT repeat them
# (RFC 9110 5.3); RFC 9111 for Age/Expires, RFC 6797 6.1 for Strict-Transport-Security.
SINGLETON_FIELDS = (
    "age",
    "content-length",
    "content-location",
    "content-range",
    "content-type",
    "date",
    "etag",
    "expires",
    "last-modified",
    "location",
    "retry-after",
    "server",
    "strict-transport-security",
)

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_IMF_FIXDATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) "
    r"(\d{2}):(\d{2}):(\d{2}) GMT$"
)
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QUOTED = r'"(?:[^"\\\x00-\x08\x0a-\x1f\x7f]|\\[\t -~\x80-\xff])*"'
_MEDIA_TYPE = re.compile(rf"^{_TOKEN}/{_TOKEN}(?:[ \t]*;[ \t]*{_TOKEN}=(?:{_TOKEN}|{_QUOTED}))*[ \t]*;?[ \t]*$")

# Headers whose only purpose is to announce the software behind the service.
BANNER_HEADERS = ("x-powered-by", "x-aspnet-version", "x-aspnetmvc-version", "x-generator", "x-runtime")
# Application servers, frameworks and language runtimes named in Server values
# (lower case); generic web server names (nginx, Apache) without version are not flagged.
FRAMEWORKS = (
    "werkzeug",
    "flask",
    "django",
    "gunicorn",
    "uvicorn",
    "hypercorn",
    "waitress",
    "tornado",
    "twistedweb",
    "cherrypy",
    "python",
    "php",
    "kestrel",
    "asp.net",
    "express",
    "node.js",
    "jetty",
    "apache-coyote",
    "tomcat",
    "wildfly",
    "jboss",
    "glassfish",
    "weblogic",
    "websphere",
    "puma",
    "unicorn",
    "phusion_passenger",
    "mod_wsgi",
    "mod_perl",
    "openssl",
    "hapi-fhir",
)
_PRODUCT_VERSION = re.compile(r"[A-Za-z][\w.+-]*/[vV]?\d[\w.+-]*")


def duplicated_singletons(headers: Headers, fields: Iterable[str] = SINGLETON_FIELDS) -> list[str]:
    """Single-valued fields sent more than once (RFC 9110 5.3)."""
    wanted = {f.lower() for f in fields}
    counts = Counter(name.lower() for name, _ in headers if name.lower() in wanted)
    return [
        f"{name} sent {n} times ({', '.join(repr(v[:40]) for k, v in headers if k.lower() == name)})"
        for name, n in sorted(counts.items())
        if n > 1
    ]


def is_imf_fixdate(value: str) -> bool:
    """Whether ``value`` is an IMF-fixdate (RFC 9110 5.6.7), weekday consistent with the date."""
    m = _IMF_FIXDATE.match(value.strip())
    if not m:
        return False
    day, dd, mon, yyyy, hh, mi, ss = m.groups()
    try:
        when = dt.datetime(int(yyyy), _MONTHS.index(mon) + 1, int(dd), int(hh), int(mi), int(ss))
    except ValueError:
        return False
    return _DAYS[when.weekday()] == day


def date_problem(status: int, headers: Headers) -> str | None:
    """Why Date is missing or malformed (RFC 9110 6.6.1, 5.6.7), or None."""
    values = [v for k, v in headers if k.lower() == "date"]
    if not values:
        # An origin server with a clock MUST send Date in 2xx, 3xx and 4xx responses.
        return "no Date header (RFC 9110 6.6.1)" if 200 <= status < 500 else None
    bad = [v for v in values if not is_imf_fixdate(v)]
    if bad:
        return f"Date {bad[0][:60]!r} is not an IMF-fixdate (RFC 9110 5.6.7)"
    return None


def content_type_problem(headers: Headers, body_length: int) -> str | None:
    """Why Content-Type is missing (with content) or not a media type (RFC 9110 8.3), or None."""
    values = [v for k, v in headers if k.lower() == "content-type"]
    if not values:
        return "content sent without Content-Type (RFC 9110 8.3)" if body_length > 0 else None
    for value in values:
        if not _MEDIA_TYPE.match(value.strip()):
            return f"Content-Type {value[:80]!r} is not a media type (RFC 9110 8.3.1)"
    return None


def banner_findings(headers: Headers, frameworks: Iterable[str] = FRAMEWORKS) -> list[str]:
    """Headers naming the software or its version (RFC 9110 10.2.4), as short findings."""
    found = []
    names = tuple(f.lower() for f in frameworks)
    for key, value in headers:
        low = key.lower()
        if low in BANNER_HEADERS:
            found.append(f"{key}: {value[:80]} announces the software")
        elif low == "server":
            versions = _PRODUCT_VERSION.findall(value)
            products = [tok for tok in re.split(r"[\s/()]+", value.lower()) if tok]
            named = sorted({p for p in products if p in names})
            if versions:
                found.append(f"Server: {value[:80]} gives version(s) {', '.join(versions)}")
            elif named:
                found.append(f"Server: {value[:80]} names the framework {', '.join(named)}")
            elif "(" in value:
                found.append(f"Server: {value[:80]} carries platform details in a comment")
    return found
