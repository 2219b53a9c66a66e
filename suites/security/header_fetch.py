"""How header checks get the responses they inspect: every page, anonymous and logged in.

A header check audits the pages of the target's page map (every page not marked
`audit: false`, or the pages its parameters name), each one as an anonymous visitor and,
for a page behind a login, with the credentials of the auth entry that opens it
(`Target.page_auth`, any kind of `homolog.auth`). Redirects are not followed: the first
answer is the one a browser receives. A page the credentials do not open (401, 403, a
redirect to the login page) is an error naming it, and so is a run where no answer is a
page of the application at all: judging the headers of a login wall alone would say
nothing about the application behind it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from homolog import CheckError, Evidence, HttpClient, Needs, Params, Response, Target, fail

__all__ = ["PageParams", "Seen", "header_list", "judge_pages", "page_needs", "page_path", "page_responses"]

Session = Literal["anonymous", "authenticated"]
_SHOWN_FINDINGS = 5


class PageParams(Params):
    """Which pages to inspect, and as whom.

    `pages`: page map entries (default: every page of the map not marked `audit: false`;
    `/` of the web base when the target has no page map). `path` (with `base`): one path
    instead of the page map. `sessions`: anonymous visitors, logged-in users or both.
    """

    base: str = "web"
    path: str | None = None
    pages: tuple[str, ...] | None = None
    sessions: tuple[Session, ...] = ("anonymous", "authenticated")


def page_needs(params: PageParams) -> Needs:
    """A header check needs its base, and the pages it names."""
    return Needs(bases=(params.base,), pages=params.pages or ())


@dataclass(frozen=True)
class Seen:
    """One answer inspected: which page, as whom."""

    page: str
    session: Session
    response: Response

    @property
    def where(self) -> str:
        return f"page {self.page!r} ({self.session}, {self.response.describe()} -> {self.response.status_code})"

    @property
    def redirect(self) -> bool:
        return 300 <= self.response.status_code < 400


def page_path(target: Target, name: str) -> str:
    """The path of a mapped page, its `{placeholders}` filled from the target's data."""
    spec = target.page(name)
    values = {}
    for key in _placeholders(spec.path):
        values[key] = quote(str(target.datum(key)), safe="")
    return spec.path.format(**values) if values else spec.path


def _placeholders(path: str) -> list[str]:
    import string

    return [f for _, f, _, _ in string.Formatter().parse(path) if f]


def _refused(target: Target, auth: str, resp: Response) -> bool:
    if resp.status_code in (401, 403):
        return True
    login = target.login_path(auth)
    if login is None or not 300 <= resp.status_code < 400:
        return False
    return bool(urlsplit(resp.headers.get("location", "")).path == login)


def page_responses(http: HttpClient, target: Target, params: PageParams) -> list[Seen]:
    """GET each page as each session asks (see the module docstring)."""
    plan: list[tuple[str, str, str, str | None]]
    if params.path is not None:
        plan = [(params.path, params.path, params.base, None)]
    else:
        names = params.pages or target.audited_pages()
        plan = [(n, page_path(target, n), target.page(n).base, target.page_auth(n)) for n in names]
        if not plan:
            plan = [("/", "/", params.base, None)]
    seen: list[Seen] = []
    reached = False
    for name, path, base, auth in plan:
        if "anonymous" in params.sessions:
            resp = _get(http, path, base, None)
            seen.append(Seen(name, "anonymous", resp))
            reached = reached or (auth is None and 200 <= resp.status_code < 300)
        if "authenticated" in params.sessions and auth is not None:
            resp = _get(http, path, base, auth)
            if _refused(target, auth, resp) and http.sessions.get(auth):
                # the session ended while earlier pages were read (a short inactivity
                # timeout): log in again, as a user would, and ask once more
                http.authenticator.forget(auth, http)
                resp = _get(http, path, base, auth)
            if _refused(target, auth, resp):
                spec = target.auth(auth)
                kind = spec.type if spec is not None else "none"
                raise CheckError(
                    f"page {name!r}: with auth.{auth} ({kind}) {resp.describe()} answered {resp.status_code}: "
                    "the application page cannot be reached to judge its headers"
                )
            seen.append(Seen(name, "authenticated", resp))
            reached = reached or 200 <= resp.status_code < 300
    if not reached:
        answers = ", ".join(f"{s.page} {s.response.status_code}" for s in seen[:6])
        raise CheckError(
            f"no page of the application was reached ({answers}): every answer was a refusal, a redirect or an "
            "error; declare auth.web (and the page map) so that the check sees the application's pages"
        )
    return seen


def _get(http: HttpClient, path: str, base: str, auth: str | None) -> Response:
    resp = http.request("GET", path, base=base, auth=auth, follow_redirects=False)
    if resp.status_code >= 500:
        raise CheckError(f"{resp.describe()} answered {resp.status_code}: cannot judge its headers")
    return resp


def judge_pages(
    http: HttpClient,
    target: Target,
    params: PageParams,
    evidence: Evidence,
    problem: Callable[[Response], str | None],
    *,
    redirects: bool = False,
    label: str,
) -> None:
    """Fail with every page whose answer has a problem; the pages seen go to the evidence.

    Redirects are judged only with `redirects` (HSTS belongs on every HTTPS answer; a
    page's policies belong on pages).
    """
    rows: list[dict[str, Any]] = []
    findings: list[str] = []
    for s in page_responses(http, target, params):
        row: dict[str, Any] = {
            "page": s.page,
            "session": s.session,
            "request": s.response.describe(),
            "status": s.response.status_code,
        }
        if s.redirect and not redirects:
            row["judged"] = False
        else:
            why = problem(s.response)
            row.update(judged=True, problem=why)
            if why:
                findings.append(f"{s.where}: {why}")
        rows.append(row)
    evidence.attach_json(f"{label}-pages.json", rows)
    if findings:
        more = f" (and {len(findings) - _SHOWN_FINDINGS} more)" if len(findings) > _SHOWN_FINDINGS else ""
        fail("; ".join(findings[:_SHOWN_FINDINGS]) + more)


def header_list(headers: Any, name: str) -> list[str]:
    """Every value of a header that may be repeated (Set-Cookie, CSP)."""
    get_list = getattr(headers, "get_list", None)
    if get_list is not None:
        return list(get_list(name))
    value = headers.get(name)
    return [] if value is None else [value]
