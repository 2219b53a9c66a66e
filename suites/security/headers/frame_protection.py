"""Protection against framing (clickjacking)."""

from __future__ import annotations

from homolog import Evidence, HttpClient, Response, Target, check

from ..header_analysis import csp_policies, frame_ancestors, frame_protection
from ..header_fetch import PageParams, header_list, judge_pages, page_needs


@check("security.headers.frame_protection", params=PageParams, needs=page_needs)
def frame_options(http: HttpClient, target: Target, params: PageParams, evidence: Evidence) -> None:
    """The web pages refuse to be framed by other sites (frame-ancestors or X-Frame-Options)."""

    def problem(resp: Response) -> str | None:
        policies = csp_policies(header_list(resp.headers, "content-security-policy"))
        xfo = header_list(resp.headers, "x-frame-options")
        if frame_protection(xfo, policies):
            return None
        ancestors = frame_ancestors(policies)
        if ancestors:
            return (
                f"CSP frame-ancestors {' / '.join(' '.join(a) for a in ancestors)} lets any site frame the page "
                "(browsers then ignore X-Frame-Options)"
            )
        shown = f"X-Frame-Options is {', '.join(xfo)!r}" if xfo else "no X-Frame-Options"
        return f"neither CSP frame-ancestors nor X-Frame-Options DENY/SAMEORIGIN ({shown})"

    judge_pages(http, target, params, evidence, problem, label="frame-protection")
