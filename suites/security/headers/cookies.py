"""Session cookies flagged Secure, HttpOnly and SameSite.

The requirement is about the cookie that holds the session, and an application sets
others around its login: a CSRF token that its scripts read (Django's `csrftoken`,
Angular's `XSRF-TOKEN`, not HttpOnly by design), a language, the deletion of an old
cookie. Which cookies hold the session is found the way an attacker would find it:
logged in, the protected page is asked again with one cookie left out at a time; a cookie
without which the page is refused holds the session. When no single cookie is needed
(a remember-me cookie stands in for the session cookie), a cookie with which alone the
page opens holds it. Every Set-Cookie of a cookie that holds the session is judged; the
others are listed in the evidence with what they lack, and decide nothing.

A page still open without any cookie, a session that ended while cookies were left out,
or more than `MAX_PROBED` cookies leave the question open: then every cookie is judged, and
the message says so. A session held by the access token a JSON login answers (sent by the
page's scripts, `auth.web.api.token`) is sent with every probe; when the token alone opens
the page no cookie holds the session, and the check cannot judge one: `error`, saying so.
"""

from __future__ import annotations

from typing import Any

from homolog import CheckError, Evidence, HttpClient, Needs, Params, Response, Target, check, fail

from ..header_analysis import parse_set_cookie
from ..web_login import WebSession, parse_login_form, protected_path, refused_web

#: Cookies left out one at a time at most (a request each): a system setting more has every
#: cookie judged rather than the check sending hundreds of requests.
MAX_PROBED = 20


class CookieParams(Params):
    """SameSite values accepted."""

    samesite: tuple[str, ...] = ("lax", "strict")


def _opens(resp: Response, target: Target) -> bool:
    """The answer is the protected page itself: a 2xx that is neither a refusal nor a login form."""
    login = target.login_page("web")
    spec = target.page(login) if login and login in target.pages else None
    if not 200 <= resp.status_code < 300 or refused_web(resp, target.login_path("web")):
        return False
    names = target.settings("security").get("login_fields") or {}
    try:
        parse_login_form(resp.text, spec.locators if spec else {}, names)
    except ValueError:
        return True
    return False  # a login form where the page should be: the session was not recognised


def _session_cookies(
    http: HttpClient, target: Target, path: str, jar: dict[str, str], bearer: str | None
) -> tuple[list[str], str | None]:
    """The cookies of `jar` that hold the session, and why all are judged when that stays open.

    A session that also has an access token (`bearer`) sends it with every probe."""

    if len(jar) > MAX_PROBED:
        return list(jar), f"the session holds {len(jar)} cookies, more than the {MAX_PROBED} left out one at a time"

    def opens_with(cookies: dict[str, str]) -> bool:
        with WebSession(http, target, cookies=cookies) as probe:
            probe.bearer = bearer
            return _opens(probe.request("GET", path), target)

    needed = [name for name in jar if not opens_with({k: v for k, v in jar.items() if k != name})]
    if not needed and not opens_with({}):
        needed = [name for name in jar if opens_with({name: jar[name]})]
    why: str | None = None
    if not opens_with(jar):
        why = "the session ended while cookies were left out one at a time"
    elif not needed:
        why = f"{path} opens without any of the cookies or with none of them alone"
    return (list(jar) if why else needed), why


@check(
    "security.headers.cookies",
    params=CookieParams,
    needs=Needs(bases=("web",), auth=("web",)),
)
def cookie_flags(http: HttpClient, target: Target, params: CookieParams, evidence: Evidence) -> None:
    """The cookies that hold the web session are Secure, HttpOnly and SameSite."""
    path = protected_path(target)
    with WebSession(http, target) as session:
        session.open()
        shown = session.request("GET", path)  # a session cookie may be set on first use
        seen = list(session.seen_set_cookies)
        jar = dict(session.cookies)
        bearer = session.bearer
    token_session = (
        "the session is the access token its login answered (auth.web.api.token), sent by scripts, "
        "and no cookie holds it: no session cookie to judge (whether a token scripts can read "
        "protects the session as the requirement asks is a reviewer's call)"
    )
    if not seen and bearer:
        raise CheckError(token_session)
    if not seen:
        raise CheckError(f"no cookie was set around the login (auth.web of type {session.kind}): nothing to judge")
    if not _opens(shown, target):
        raise CheckError(
            f"logged in, {shown.describe()} answered {shown.status_code} without the page: "
            "which cookie holds the session cannot be told"
        )
    if bearer:
        with WebSession(http, target) as probe:
            probe.bearer = bearer
            if _opens(probe.request("GET", path), target):  # the token alone: no cookie needed
                raise CheckError(token_session)
    holders, undecided = _session_cookies(http, target, path, jar, bearer)
    allowed = tuple(s.lower() for s in params.samesite)
    rows: list[dict[str, Any]] = []
    bad: list[str] = []
    for value in seen:
        cookie = parse_set_cookie(value)
        problems = [] if cookie.deleted else cookie.problems(allowed)
        holds = cookie.name in holders
        rows.append(
            {
                "name": cookie.name,
                "holds_session": holds,
                "deleted": cookie.deleted,
                "secure": cookie.secure,
                "httponly": cookie.httponly,
                "samesite": cookie.samesite,
                "problems": problems,
            }
        )
        finding = f"{cookie.name}: {', '.join(problems)}"
        if holds and problems and finding not in bad:  # the same cookie is often set twice
            bad.append(finding)
    evidence.attach_json(
        "cookies.json",
        {"page": path, "session_cookies": holders, "undecided": undecided, "set_cookies": rows},
    )
    if bad:
        note = f" (every cookie judged: {undecided})" if undecided else ""
        fail("session cookies lack protective attributes: " + "; ".join(bad) + note)
