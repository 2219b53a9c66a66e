"""Protected resources refuse requests without valid credentials."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from homolog import CheckError, HttpClient, Params, Target, check, fail

from .form import WebSession, account

_REFUSED = (401, 403)


class FhirAuthParams(Params):
    """FHIR path to request (default: the qualified test patient)."""

    path: str | None = None


@check("security.auth.fhir_requires_token", params=FhirAuthParams)
def fhir_requires_token(http: HttpClient, target: Target, params: FhirAuthParams) -> None:
    """The FHIR API refuses requests with no bearer token or an invalid one."""
    path = params.path or f"/Patient/{target.datum('patient_qualified')}"
    ok = http.get(path, base="fhir", auth="fhir")
    if ok.status_code != 200:
        raise CheckError(
            f"with the declared token {ok.describe()} answered {ok.status_code}, not 200: "
            "cannot tell a refusal from a missing resource"
        )
    anonymous = http.get(path, base="fhir")
    if anonymous.status_code not in _REFUSED:
        fail(f"without a token, expected 401 or 403, got {anonymous.status_code} for {anonymous.describe()}")
    forged = http.get(path, base="fhir", headers={"Authorization": f"Bearer {secrets.token_urlsafe(32)}"})
    if forged.status_code not in _REFUSED:
        fail(f"with an invalid token, expected 401 or 403, got {forged.status_code} for {forged.describe()}")


class WebAuthParams(Params):
    """Protected web path (default: the patient list page)."""

    path: str | None = None


def _refused_web(resp: object, login_path: str) -> bool:
    status = resp.status_code  # type: ignore[attr-defined]
    if status in _REFUSED:
        return True
    if 300 <= status < 400:
        return urlsplit(resp.headers.get("location", "")).path == login_path  # type: ignore[attr-defined]
    return False


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
    if not _refused_web(anonymous, login_path):
        fail(
            f"without a session, {anonymous.describe()} answered {anonymous.status_code} "
            "instead of refusing or redirecting to the login page"
        )
    forged_cookies = {k: secrets.token_urlsafe(24) for k in names}
    with WebSession(http, target, cookies=forged_cookies) as forged:
        resp = forged.request("GET", path)
    if not _refused_web(resp, login_path):
        fail(f"with forged session cookies, {resp.describe()} answered {resp.status_code}")
