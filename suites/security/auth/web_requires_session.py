"""Check `security.auth.web_requires_session`: the web UI refuses visitors without a valid session."""

from __future__ import annotations

import secrets

from homolog import CheckError, HttpClient, Params, Target, check, fail

from ..web_login import WebSession, account, refused_web


class WebAuthParams(Params):
    """Protected web path (default: the patient list page)."""

    path: str | None = None


@check("security.auth.web_requires_session", params=WebAuthParams)
def web_requires_session(http: HttpClient, target: Target, params: WebAuthParams) -> None:
    """The web UI sends visitors without a valid session to the login page."""
    path = params.path or target.page("patient_list").path
    login_path = target.page("login").path
    user, password = account(target, "web")
    with WebSession(http, target) as session:
        result = session.login(user, password)
        if not result.success:
            raise CheckError(
                f"the web account {user!r} cannot log in ({result.described} -> "
                f"{result.status}): cannot compare with an anonymous visit"
            )
        ok = session.request("GET", path)
        names = list(session.cookies)
    if ok.status_code != 200:
        raise CheckError(f"logged in, {ok.describe()} answered {ok.status_code}, not 200")
    with WebSession(http, target) as anonymous_session:
        anonymous = anonymous_session.request("GET", path)
    if not refused_web(anonymous, login_path):
        fail(
            f"without a session, {anonymous.describe()} answered {anonymous.status_code} "
            "instead of refusing or redirecting to the login page"
        )
    forged_cookies = {k: secrets.token_urlsafe(24) for k in names}
    with WebSession(http, target, cookies=forged_cookies) as forged:
        resp = forged.request("GET", path)
    if not refused_web(resp, login_path):
        fail(f"with forged session cookies, {resp.describe()} answered {resp.status_code}")
