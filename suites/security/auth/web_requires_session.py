"""Check `security.auth.web_requires_session`: the web UI refuses visitors without a valid session.

Asked for by default: the page map's pages behind the web login, but those the target
declares public (`settings.security.public_paths`: the shell a single-page application
serves to anyone, its scripts asking the API), and the session resource of a JSON login
(`auth.web.api.session`), where such a system holds its session. The referential may name
a path or pages instead.
"""

from __future__ import annotations

import secrets

from homolog import CheckError, HttpClient, Needs, Params, Target, check, fail

from ..endpoint_inventory import is_public, public_patterns
from ..header_fetch import page_path
from ..web_login import WebSession, refused_web


class WebAuthParams(Params):
    """Protected pages to visit: a path, or page map entries (default: every page behind the web login)."""

    path: str | None = None
    pages: tuple[str, ...] | None = None


def _needs(params: WebAuthParams) -> Needs:
    return Needs(bases=("web",), auth=("web",), pages=params.pages or ())


def _paths(target: Target, params: WebAuthParams) -> list[str]:
    if params.path:
        return [params.path]
    if params.pages:
        return [page_path(target, n) for n in params.pages]
    public = public_patterns(target)
    names = [n for n in target.audited_pages() if target.page_auth(n) == "web"]
    paths = [page_path(target, n) for n in names if is_public(target.served_path(n), public) is None]
    web = target.auth("web")
    if web is not None and web.api is not None and web.api.session:
        paths.append(web.api.session)
    if not paths:
        raise CheckError(
            "the page map has no page behind the web login that is not declared public (pages:, "
            "settings.security.public_paths), and the login declares no api.session: name one with the pages parameter"
        )
    return paths


def forged_bearer(bearer: str) -> str:
    """The Authorization value of a forged access token: a JWT (three base64url parts) keeps
    its header and claims with another signature, which only a check of the signature refuses;
    any other token is replaced by random characters of its length.

    The signature is the canonical base64url of random bytes, as many as the real one holds:
    cut from a longer string it could end in bits a strict decoder (PyJWT 2.15) refuses as
    malformed, a refusal for the wrong reason that a forgery accepted unchecked would hide.
    """
    token = bearer.removeprefix("Bearer ")
    parts = token.split(".")
    if len(parts) == 3 and all(parts[:2]):
        return f"Bearer {parts[0]}.{parts[1]}.{secrets.token_urlsafe(max(len(parts[2]) * 3 // 4, 32))}"
    size = max(len(token), 32)
    return "Bearer " + secrets.token_urlsafe(size)[:size]


@check("security.auth.web_requires_session", params=WebAuthParams, needs=_needs)
def web_requires_session(http: HttpClient, target: Target, params: WebAuthParams) -> None:
    """The web UI sends visitors without a valid session to the login page."""
    paths = _paths(target, params)
    login_path = target.login_path("web")
    with WebSession(http, target) as session:
        session.open()
        for path in paths:
            ok = session.request("GET", path)
            if ok.status_code != 200:
                raise CheckError(f"logged in, {ok.describe()} answered {ok.status_code}, not 200")
        names = list(session.cookies)
        basic = session.basic
        bearer = session.bearer
    problems: list[str] = []
    with WebSession(http, target) as anonymous_session:
        for path in paths:
            anonymous = anonymous_session.request("GET", path)
            if not refused_web(anonymous, login_path):
                problems.append(
                    f"without a session, {anonymous.describe()} answered {anonymous.status_code} "
                    "instead of refusing or redirecting to the login page"
                )
    if basic is not None:
        # Basic has no session to forge: the credentials are the session; a wrong password must be refused.
        user = target.auth("web").username or ""  # type: ignore[union-attr]  # needs auth.web
        with WebSession(http, target) as wrong:
            result = wrong.login(user, secrets.token_urlsafe(16))
        if result.success:
            problems.append(f"with a wrong password for {user!r}, {result.described} answered {result.status}")
    elif not names and bearer is None:
        raise CheckError("the login set no cookie: no session to forge")
    else:
        forged_cookies = {k: secrets.token_urlsafe(24) for k in names}
        what = " and ".join(
            ([f"forged session cookies ({', '.join(names)})"] if names else [])
            + (["the access token's signature replaced"] if bearer else [])
        )
        with WebSession(http, target, cookies=forged_cookies) as forged:
            forged.bearer = forged_bearer(bearer) if bearer else None
            for path in paths:
                resp = forged.request("GET", path)
                if not refused_web(resp, login_path):
                    problems.append(f"with {what}, {resp.describe()} answered {resp.status_code}")
    if problems:
        fail("; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""))
