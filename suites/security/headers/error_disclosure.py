"""Error responses without stack traces or software versions.

The login page gets a wrong method, a malformed form and a JSON body cut short (an
application parsing JSON bodies on every route fails in that parser before its login runs).

A system whose login page's scripts log in through a JSON API (`auth.web.api`) also gets
malformed JSON (a broken form when `api.body` is `form`) at that endpoint, sent as its
script sends a login (the CSRF cookie asked for and echoed), so that the API's parser, not
its CSRF protection, answers.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from homolog import CheckError, Evidence, HttpClient, Params, Target, check, fail, script_headers

from ..header_analysis import leak_findings
from ..web_login import WebSession


class ErrorProbe(Params):
    """One request meant to make the SUT answer with an error (``{login}`` in the path: the
    path of the page map's login page, ``/login`` without one)."""

    method: str = "GET"
    base: str = "web"
    path: str
    body: str | None = None
    content_type: str | None = None
    auth: str | None = None


class DisclosureParams(Params):
    """Requests that provoke errors: unknown paths, malformed input, wrong methods.

    The paths the target lists under ``settings.security.error_paths`` (on the web
    base, requested with a logged-in session, or with the FHIR token under the FHIR
    base path) and malformed JSON at the endpoint of a JSON login are added unless
    ``target_error_paths`` is false.
    """

    probes: tuple[ErrorProbe, ...] = (
        ErrorProbe(path="/homolog-does-not-exist-7f3a"),
        ErrorProbe(path="/patients/homolog-%27%22%3Cx%3E%00"),
        ErrorProbe(method="DELETE", path="{login}"),
        ErrorProbe(
            method="POST",
            path="{login}",
            body="%%%not-a-form",
            content_type="application/x-www-form-urlencoded",
        ),
        # JSON cut short at a form login: an application parsing JSON bodies on every route
        # (Express's `app.use(express.json())`) fails in its parser, before the login runs
        ErrorProbe(method="POST", path="{login}", body='{"username": ["', content_type="application/json"),
        ErrorProbe(base="fhir", path="/Patient/homolog-unknown-7f3a", auth="fhir"),
        ErrorProbe(
            base="fhir",
            method="POST",
            path="/Patient",
            body="{not json",
            content_type="application/fhir+json",
            auth="fhir",
        ),
        ErrorProbe(base="fhir", path="/Patient?birthdate=not-a-date", auth="fhir"),
    )
    target_error_paths: bool = True


@check("security.headers.error_disclosure", params=DisclosureParams)
def error_disclosure(http: HttpClient, target: Target, params: DisclosureParams, evidence: Evidence) -> None:
    """Error pages and API errors reveal no stack trace, source path or software version."""
    findings: list[str] = []
    statuses: list[str] = []
    codes: list[int] = []

    def judge(resp: object) -> None:
        statuses.append(f"{resp.describe()} -> {resp.status_code}")  # type: ignore[attr-defined]
        codes.append(resp.status_code)  # type: ignore[attr-defined]
        hdrs = {k.lower(): v for k, v in resp.headers.items()}  # type: ignore[attr-defined]
        for f in leak_findings(hdrs, resp.text):  # type: ignore[attr-defined]
            findings.append(f"{resp.describe()} ({resp.status_code}): {f}")  # type: ignore[attr-defined]

    login_page = target.login_page("web")
    login_path = target.page(login_page).path if login_page and login_page in target.pages else "/login"
    skipped = [f"{p.method} {p.base}:{p.path}" for p in params.probes if p.base not in target.base_urls]
    for probe in params.probes:
        if probe.base not in target.base_urls:
            continue  # a web-only system has no FHIR API to provoke errors from
        headers = {"Content-Type": probe.content_type} if probe.content_type else {}
        judge(
            http.request(
                probe.method,
                probe.path.replace("{login}", login_path),
                base=probe.base,
                auth=probe.auth,
                headers=headers,
                content=probe.body.encode() if probe.body is not None else None,
                follow_redirects=False,
            )
        )
    web = target.auth("web")
    if params.target_error_paths and web is not None and web.api is not None and login_page in target.pages:
        base = target.page(login_page).base
        with WebSession(http, target, base=base) as visitor:
            if web.api.csrf:
                visitor.request("GET", web.api.csrf)
            headers = script_headers(target.url(login_path, base), visitor.seen_set_cookies)
            # malformed as the login is encoded: JSON cut short, or a form of broken escapes
            form = web.api.body == "form"
            headers["Content-Type"] = "application/x-www-form-urlencoded" if form else "application/json"
            malformed = b"username=%E0%A4%A&password=%%%" if form else b'{"username": ["'
            judge(visitor.request("POST", web.api.login, content=malformed, headers=headers))
    extra = target.settings("security").get("error_paths") or []
    if params.target_error_paths and extra:
        if not isinstance(extra, list):
            raise CheckError("settings.security.error_paths must be a list of paths")
        fhir_path = urlsplit(target.base_url("fhir")).path.rstrip("/") if "fhir" in target.base_urls else None
        with WebSession(http, target) as session:
            session.open()
            for path in map(str, extra):
                if fhir_path and (path == fhir_path or path.startswith(fhir_path + "/")):
                    judge(http.request("GET", path, base="web", auth="fhir", follow_redirects=False))
                else:
                    judge(session.request("GET", path))
    evidence.attach_json(
        "error-probes.json",
        {"responses": statuses, "findings": findings, "skipped (base not declared)": skipped},
    )
    if not statuses:
        raise CheckError("no probe could be sent: the target declares none of their bases")
    if findings:
        fail("error responses disclose internals: " + "; ".join(findings[:5]))
    if codes and all(300 <= code < 400 for code in codes):
        # a redirect is no error page: none of the probes showed what the SUT answers on an error
        raise CheckError(f"every probe was redirected ({'; '.join(statuses[:5])}): no error page to judge")
