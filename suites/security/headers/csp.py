"""Content-Security-Policy present and not trivially permissive."""

from __future__ import annotations

from homolog import Evidence, HttpClient, Response, Target, check

from ..header_analysis import csp_list_problems, csp_policies
from ..header_fetch import PageParams, header_list, judge_pages, page_needs


@check("security.headers.csp", params=PageParams, needs=page_needs)
def content_security_policy(http: HttpClient, target: Target, params: PageParams, evidence: Evidence) -> None:
    """The web pages carry a Content-Security-Policy that restricts scripts and plugins."""

    def problem(resp: Response) -> str | None:
        policies = csp_policies(header_list(resp.headers, "content-security-policy"))
        if not policies:
            return "no Content-Security-Policy header"
        # every policy is enforced: what one of them restricts is restricted
        problems = csp_list_problems(policies)
        if problems:
            return f"Content-Security-Policy is too permissive: {'; '.join(problems)}"
        return None

    judge_pages(http, target, params, evidence, problem, label="csp")
