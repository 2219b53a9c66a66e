"""X-Content-Type-Options: nosniff."""

from __future__ import annotations

from homolog import Evidence, HttpClient, Response, Target, check

from ..header_fetch import PageParams, judge_pages, page_needs


@check("security.headers.nosniff", params=PageParams, needs=page_needs)
def content_type_options(http: HttpClient, target: Target, params: PageParams, evidence: Evidence) -> None:
    """The web server forbids MIME sniffing with X-Content-Type-Options: nosniff."""

    def problem(resp: Response) -> str | None:
        value = resp.headers.get("x-content-type-options")
        if value is None or value.strip().lower() != "nosniff":
            return f"X-Content-Type-Options is {value!r}, expected 'nosniff'"
        return None

    judge_pages(http, target, params, evidence, problem, label="nosniff")
