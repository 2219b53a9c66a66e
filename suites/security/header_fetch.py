"""How header checks get the response they inspect."""

from __future__ import annotations

from typing import Any

from homolog import CheckError, HttpClient, Params, Target

__all__ = ["PageParams", "header_list", "page_response"]


class PageParams(Params):
    """Which page to inspect: a path on a base (default: the login page of the page map)."""

    base: str = "web"
    path: str | None = None


def page_response(http: HttpClient, target: Target, params: PageParams) -> Any:
    """GET the page the check inspects, without following redirects.

    Security headers must be on every HTTPS answer, redirects included, so the first
    response is the one judged.
    """
    path = params.path if params.path is not None else target.page("login").path
    resp = http.request("GET", path, base=params.base, follow_redirects=False)
    if resp.status_code >= 500:
        raise CheckError(f"{resp.describe()} answered {resp.status_code}: cannot judge its headers")
    return resp


def header_list(headers: Any, name: str) -> list[str]:
    """Every value of a header that may be repeated (Set-Cookie, CSP)."""
    get_list = getattr(headers, "get_list", None)
    if get_list is not None:
        return list(get_list(name))
    value = headers.get(name)
    return [] if value is None else [value]
