"""Content-Security-Policy present and not trivially permissive."""

from __future__ import annotations

from homolog import HttpClient, Target, check, fail

from ..header_analysis import csp_problems
from ..header_fetch import PageParams, header_list, page_response


@check("security.headers.csp", params=PageParams)
def content_security_policy(http: HttpClient, target: Target, params: PageParams) -> None:
    """The web pages carry a Content-Security-Policy that restricts scripts and plugins."""
    resp = page_response(http, target, params)
    values = header_list(resp.headers, "content-security-policy")
    if not values:
        fail(f"no Content-Security-Policy header on {resp.describe()}")
    # Several policies all apply: the page is protected if any one of them is strict.
    problems = [csp_problems(v) for v in values]
    if all(problems):
        fail(f"Content-Security-Policy is too permissive: {'; '.join(problems[0])}")
