"""Referrer-Policy that does not leak full URLs to other sites."""

from __future__ import annotations

from homolog import Evidence, HttpClient, Response, Target, check

from ..header_analysis import applied_referrer_policy
from ..header_fetch import PageParams, header_list, judge_pages, page_needs


class ReferrerParams(PageParams):
    """Policies accepted (those that never send a path to another origin)."""

    allowed: tuple[str, ...] = (
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    )


@check("security.headers.referrer_policy", params=ReferrerParams, needs=page_needs)
def referrer_policy(http: HttpClient, target: Target, params: ReferrerParams, evidence: Evidence) -> None:
    """The web server sets a Referrer-Policy that keeps page URLs (and patient ids) private."""

    def problem(resp: Response) -> str | None:
        fields = header_list(resp.headers, "referrer-policy")
        if not fields:
            return "no Referrer-Policy header"
        # browsers apply the last policy of the list they know, over every field
        applied = applied_referrer_policy(fields)
        if applied is None:
            return f"Referrer-Policy {', '.join(fields)!r} names no policy a browser knows"
        if applied not in params.allowed:
            return f"Referrer-Policy {', '.join(fields)!r} applies {applied!r}, not one of {list(params.allowed)}"
        return None

    judge_pages(http, target, params, evidence, problem, label="referrer-policy")
