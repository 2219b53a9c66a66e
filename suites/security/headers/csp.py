"""Content-Security-Policy present and not trivially permissive."""

from __future__ import annotations

from homolog import Evidence, HttpClient, Response, Target, check

from ..header_analysis import csp_problems
from ..header_fetch import PageParams, header_list, judge_pages, page_needs


@check("security.headers.csp", params=PageParams, needs=page_needs)
def content_security_policy(http: HttpClient, target: Target, params: PageParams, evidence: Evidence) -> None:
    """The web pages carry a Content-Security-Policy that restricts scripts and plugins."""

    def problem(resp: Response) -> str | None:
        values = header_list(resp.headers, "content-security-policy")
        if not values:
            return "no Content-Security-Policy header"
        # Several policies all apply: the page is protected if any one of them is strict.
        problems = [csp_problems(v) for v in values]
        if all(problems):
            return f"Content-Security-Policy is too permissive: {'; '.join(problems[0])}"
        return None

    judge_pages(http, target, params, evidence, problem, label="csp")
