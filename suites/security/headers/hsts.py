"""Strict-Transport-Security with a long enough max-age."""

from __future__ import annotations

from homolog import Evidence, HttpClient, Response, Target, check

from ..header_analysis import hsts_max_age
from ..header_fetch import PageParams, judge_pages, page_needs


class HstsParams(PageParams):
    """Minimum max-age in seconds (default one year)."""

    min_max_age: int = 31536000


@check("security.headers.hsts", params=HstsParams, needs=page_needs)
def hsts(http: HttpClient, target: Target, params: HstsParams, evidence: Evidence) -> None:
    """The web server sends Strict-Transport-Security with a long enough max-age."""

    def problem(resp: Response) -> str | None:
        value = resp.headers.get("strict-transport-security")
        if value is None:
            return "no Strict-Transport-Security header"
        age = hsts_max_age(value)
        if age is None:
            return f"Strict-Transport-Security {value!r} has no valid max-age"
        if age < params.min_max_age:
            return f"Strict-Transport-Security max-age={age} is below {params.min_max_age}"
        return None

    # HSTS belongs on every HTTPS answer, redirects included
    judge_pages(http, target, params, evidence, problem, redirects=True, label="hsts")
