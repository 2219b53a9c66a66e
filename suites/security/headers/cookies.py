"""Session cookies flagged Secure, HttpOnly and SameSite."""

from __future__ import annotations

from homolog import CheckError, HttpClient, Needs, Params, Target, check, fail

from ..header_analysis import parse_set_cookie
from ..web_login import WebSession, protected_path


class CookieParams(Params):
    """SameSite values accepted."""

    samesite: tuple[str, ...] = ("lax", "strict")


@check("security.headers.cookies", params=CookieParams, needs=Needs(bases=("web",), auth=("web",)))
def cookie_flags(http: HttpClient, target: Target, params: CookieParams) -> None:
    """Every cookie set around login is Secure, HttpOnly and SameSite."""
    with WebSession(http, target) as session:
        session.open()
        session.request("GET", protected_path(target))  # a session cookie may be set on first use
        seen = list(session.seen_set_cookies)
    if not seen:
        raise CheckError(f"no cookie was set around the login (auth.web of type {session.kind}): nothing to judge")
    allowed = tuple(s.lower() for s in params.samesite)
    bad: list[str] = []
    for value in seen:
        cookie = parse_set_cookie(value)
        problems = cookie.problems(allowed)
        finding = f"{cookie.name}: {', '.join(problems)}"
        if problems and finding not in bad:  # the same cookie is often set twice
            bad.append(finding)
    if bad:
        fail("cookies lack protective attributes: " + "; ".join(bad))
