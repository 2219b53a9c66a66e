"""Session cookies flagged Secure, HttpOnly and SameSite."""

from __future__ import annotations

from homolog import CheckError, HttpClient, Params, Target, check, fail

from ..header_analysis import parse_set_cookie
from ..web_login import WebSession, account


class CookieParams(Params):
    """SameSite values accepted."""

    samesite: tuple[str, ...] = ("lax", "strict")


@check("security.headers.cookies", params=CookieParams)
def cookie_flags(http: HttpClient, target: Target, params: CookieParams) -> None:
    """Every cookie set around login is Secure, HttpOnly and SameSite."""
    user, password = account(target, "web")
    with WebSession(http, target) as session:
        result = session.login(user, password)
        seen = list(session.seen_set_cookies)
    if not result.success:
        raise CheckError(f"the web account {user!r} cannot log in ({result.status})")
    if not seen:
        raise CheckError("no cookie was set around login: nothing to judge")
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
