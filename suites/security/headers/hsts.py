"""Strict-Transport-Security with a long enough max-age."""

from __future__ import annotations

from homolog import Evidence, HttpClient, Response, Target, check

from ..header_analysis import hsts_max_age
from ..header_fetch import PageParams, header_list, judge_pages, page_needs


class HstsParams(PageParams):
    """Minimum max-age in seconds (default one year)."""

    min_max_age: int = 31536000


@check("security.headers.hsts", params=HstsParams, needs=page_needs)
def hsts(http: HttpClient, target: Target, params: HstsParams, evidence: Evidence) -> None:
    """The web server sends Strict-Transport-Security with a long enough max-age."""

    def problem(resp: Response) -> str | None:
        fields = header_list(resp.headers, "strict-transport-security")
        if not fields:
            return "no Strict-Transport-Security header"
        value = fields[0]  # browsers read the first field only (RFC 6797, 8.1)
        age = hsts_max_age(value)
        if age is None:
            return f"Strict-Transport-Security {value!r} has no valid max-age (or repeats a directive)"
        if age < params.min_max_age:
            return f"Strict-Transport-Security max-age={age} is below {params.min_max_age}"
        return None

    # HSTS belongs on every HTTPS answer, redirects included
    judge_pages(http, target, params, evidence, problem, redirects=True, label="hsts")
