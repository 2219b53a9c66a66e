"""X-Content-Type-Options: nosniff."""

from __future__ import annotations

from homolog import Evidence, HttpClient, Response, Target, check

from ..header_analysis import nosniff
from ..header_fetch import PageParams, header_list, judge_pages, page_needs


@check("security.headers.nosniff", params=PageParams, needs=page_needs)
def content_type_options(http: HttpClient, target: Target, params: PageParams, evidence: Evidence) -> None:
    """The web server forbids MIME sniffing with X-Content-Type-Options: nosniff."""

    def problem(resp: Response) -> str | None:
        fields = header_list(resp.headers, "x-content-type-options")
        if not nosniff(fields):  # the first value decides (Fetch); a proxy's copy beside the application's is fine
            shown = ", ".join(fields) if fields else None
            return f"X-Content-Type-Options is {shown!r}, expected 'nosniff'"
        return None

    judge_pages(http, target, params, evidence, problem, label="nosniff")
