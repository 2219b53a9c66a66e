"""Plain HTTP sends the browser to HTTPS."""

from __future__ import annotations

from urllib.parse import urlsplit

from homolog import HttpClient, Params, Target, check, fail


class RedirectParams(Params):
    """The plain-HTTP base to try and the path to request."""

    base: str = "web_http"
    path: str = "/"


@check("security.tls.https_redirect", params=RedirectParams)
def https_redirect(http: HttpClient, target: Target, params: RedirectParams) -> None:
    """A request over plain HTTP is redirected to HTTPS on the same host."""
    http_base = target.base_url(params.base)  # CheckError when undeclared
    resp = http.request("GET", params.path, base=params.base, follow_redirects=False)
    if resp.status_code not in (301, 302, 303, 307, 308):
        fail(f"expected a redirect to HTTPS, got {resp.status_code} for {resp.describe()}")
    location = resp.headers.get("location", "")
    dest = urlsplit(location)
    if dest.scheme != "https":
        fail(f"{resp.describe()} redirects to {location!r}, not to an https URL")
    if dest.hostname != urlsplit(http_base).hostname:
        fail(f"{resp.describe()} redirects to another host: {location!r}")
