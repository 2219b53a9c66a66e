"""Protection against framing (clickjacking)."""

from __future__ import annotations

from homolog import Evidence, HttpClient, Response, Target, check

from ..header_analysis import frame_protection
from ..header_fetch import PageParams, header_list, judge_pages, page_needs


@check("security.headers.frame_protection", params=PageParams, needs=page_needs)
def frame_options(http: HttpClient, target: Target, params: PageParams, evidence: Evidence) -> None:
    """The web pages refuse to be framed by other sites (frame-ancestors or X-Frame-Options)."""

    def problem(resp: Response) -> str | None:
        csps = header_list(resp.headers, "content-security-policy")
        xfo = resp.headers.get("x-frame-options")
        policies: list[str | None] = [*csps] or [None]  # no CSP at all: X-Frame-Options alone decides
        if not any(frame_protection(xfo, c) for c in policies):
            return "neither CSP frame-ancestors nor X-Frame-Options DENY/SAMEORIGIN"
        return None

    judge_pages(http, target, params, evidence, problem, label="frame-protection")
