"""What the HTTP conformance checks ask: every base the target declares for its system, the
base's root, the page-map pages on it and the paths the target adds, each sent with the
credentials the target declares for that base.

Target keys (``settings.http``, all optional):

    bases: [web, fhir]            # the bases to probe (default: every declared base ...)
    external_bases: [psc]         # ... except these, which belong to other systems
    paths: {fhir: [/metadata]}    # more paths per base (placeholders from data: {key})

Credentials: an ``auth`` entry named like the base with a header type (bearer, basic,
header, none) is sent with every request; a ``form`` account named like the base logs in
once through the page map's login page and its session cookie is sent; otherwise the
requests are anonymous.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from homolog import CheckError, HttpClient, Response, Target
from homolog.suites.security.web_login import WebSession, account

__all__ = ["DEFAULT_EXTERNAL", "LOGOUT_PAGE", "Exchange", "Prober", "bases_under_test", "probe_paths"]

DEFAULT_EXTERNAL = ("psc",)
LOGOUT_PAGE = "logout"
_HEADER_AUTH = ("bearer", "basic", "header", "none")
_MAX_REDIRECTS = 5


def _settings(target: Target) -> dict[str, Any]:
    return dict(target.settings("http"))


def _str_list(value: Any, key: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CheckError(f"settings.http.{key} must be a list of strings")
    return list(value)


def bases_under_test(target: Target) -> list[str]:
    """The declared bases that belong to the system under test, in declaration order."""
    settings = _settings(target)
    declared = list(target.base_urls)
    chosen = _str_list(settings.get("bases"), "bases")
    if chosen:
        unknown = [b for b in chosen if b not in declared]
        if unknown:
            raise CheckError(
                f"settings.http.bases names {', '.join(unknown)}, not in base_urls ({', '.join(declared)})"
            )
        return chosen
    external = _str_list(settings.get("external_bases"), "external_bases") or list(DEFAULT_EXTERNAL)
    return [b for b in declared if b not in external]


def _fill(path: str, data: Any) -> str | None:
    """``path`` with ``{key}`` placeholders from the target's data; None when one is missing."""
    names = [n for _, n, _, _ in string.Formatter().parse(path) if n]
    if not names:
        return path
    values = {n: data.get(n) for n in names}
    if any(v is None or isinstance(v, dict | list) for v in values.values()):
        return None
    return path.format(**{k: str(v) for k, v in values.items()})


def probe_paths(target: Target, base: str) -> list[str]:
    """The base's root, its page-map pages (but the logout page) and settings.http.paths."""
    out = ["/"]
    pages = target.raw.get("pages") or {}
    for name in pages:
        if name == LOGOUT_PAGE:
            continue  # asking it would end the session the other probes use
        page = target.page(name)
        if page.base == base and (filled := _fill(page.path, target.data)) is not None:
            out.append(filled)
    extra = _settings(target).get("paths") or {}
    if not isinstance(extra, dict):
        raise CheckError("settings.http.paths must map base names to lists of paths")
    for path in _str_list(extra.get(base), f"paths.{base}"):
        if (filled := _fill(path, target.data)) is not None:
            out.append(filled)
    return list(dict.fromkeys(out))


@dataclass
class Exchange:
    """One request sent by a check and what came back (redirects followed, when asked)."""

    base: str
    path: str
    method: str
    response: Response
    chain: list[Response] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.method} {self.response.path} ({self.base})"

    def record(self) -> dict[str, Any]:
        resp = self.response
        return {
            "base": self.base,
            "request": resp.describe(),
            "status": resp.status_code,
            "headers": [[k, v] for k, v in resp.raw_headers if k.lower() not in ("set-cookie",)],
            "redirects": [f"{r.status_code} {r.describe()}" for r in self.chain],
        }


class Prober:
    """Sends requests to the bases with the credentials the target declares for each."""

    def __init__(self, http: HttpClient, target: Target) -> None:
        self.http = http
        self.target = target
        self._sessions: dict[str, WebSession] = {}
        self.notes: list[str] = []

    def close(self) -> None:
        for session in self._sessions.values():
            session.close()
        self._sessions.clear()

    def __enter__(self) -> Prober:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def credentials(self, base: str) -> str:
        """How requests to ``base`` authenticate: 'header auth X', 'form session X' or 'anonymous'."""
        spec = self.target.auth(base)
        if spec is None:
            return "anonymous"
        if spec.type in _HEADER_AUTH:
            return f"header auth {base}"
        if spec.type == "form":
            return f"form session {base}"
        return "anonymous"

    def _session(self, base: str) -> WebSession:
        session = self._sessions.get(base)
        if session is None:
            session = WebSession(self.http, self.target, base=base)
            user, password = account(self.target, base)
            result = session.login(user, password)
            if not result.success:
                session.close()
                raise CheckError(
                    f"the {base} account {user!r} cannot log in ({result.described} -> {result.status}): "
                    "the pages behind the login cannot be judged"
                )
            self._sessions[base] = session
        return session

    def send(
        self,
        method: str,
        base: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        follow: bool = False,
    ) -> Exchange:
        """One request (redirects followed inside the target's hosts when ``follow``)."""
        how = self.credentials(base)
        chain: list[Response] = []
        url = path
        for _ in range(_MAX_REDIRECTS + 1):
            if how.startswith("form"):
                resp = self._session(base).request(method, url, headers=headers or {})
            else:
                resp = self.http.request(
                    method,
                    url,
                    base=base,
                    headers=headers or {},
                    auth=base if how.startswith("header") else None,
                    follow_redirects=False,
                )
            location = resp.headers.get("location")
            if not (follow and resp.status_code in (301, 302, 303, 307, 308) and location):
                return Exchange(base, path, method, resp, chain)
            chain.append(resp)
            nxt = urljoin(resp.url, location)
            if not self.target.in_scope(nxt):
                return Exchange(base, path, method, resp, chain[:-1])
            url = nxt
            if resp.status_code == 303:
                method = "GET"
        raise CheckError(f"more than {_MAX_REDIRECTS} redirects from {method} {path} on {base}")

    def each_probe(self, bases: list[str] | None = None) -> Iterator[tuple[str, str]]:
        """(base, path) for every probe of the bases under test."""
        for base in bases if bases is not None else bases_under_test(self.target):
            for path in probe_paths(self.target, base):
                yield base, path
