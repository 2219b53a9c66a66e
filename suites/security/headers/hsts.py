"""Strict-Transport-Security with a long enough max-age."""

from __future__ import annotations

from homolog import HttpClient, Target, check, fail

from ..header_analysis import hsts_max_age
from ..header_fetch import PageParams, page_response


class HstsParams(PageParams):
    """Minimum max-age in seconds (default one year)."""

    min_max_age: int = 31536000


@check("security.headers.hsts", params=HstsParams)
def hsts(http: HttpClient, target: Target, params: HstsParams) -> None:
    """The web server sends Strict-Transport-Security with a long enough max-age."""
    resp = page_response(http, target, params)
    value = resp.headers.get("strict-transport-security")
    if value is None:
        fail(f"no Strict-Transport-Security header on {resp.describe()}")
    age = hsts_max_age(value)
    if age is None:
        fail(f"Strict-Transport-Security {value!r} has no valid max-age ({resp.describe()})")
    if age < params.min_max_age:
        fail(f"Strict-Transport-Security max-age={age} is below {params.min_max_age}")
