"""Referrer-Policy that does not leak full URLs to other sites."""

from __future__ import annotations

from homolog import Evidence, HttpClient, Response, Target, check

from ..header_fetch import PageParams, judge_pages, page_needs


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
        value = resp.headers.get("referrer-policy")
        if value is None:
            return "no Referrer-Policy header"
        # With a list, browsers apply the last policy they understand.
        policies = [p.strip().lower() for p in value.split(",") if p.strip()]
        if not policies or policies[-1] not in params.allowed:
            return f"Referrer-Policy {value!r} is not one of {list(params.allowed)}"
        return None

    judge_pages(http, target, params, evidence, problem, label="referrer-policy")
