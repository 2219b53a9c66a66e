"""Referrer-Policy that does not leak full URLs to other sites."""

from __future__ import annotations

from homolog import HttpClient, Target, check, fail

from ..header_fetch import PageParams, page_response


class ReferrerParams(PageParams):
    """Policies accepted (those that never send a path to another origin)."""

    allowed: tuple[str, ...] = (
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    )


@check("security.headers.referrer_policy", params=ReferrerParams)
def referrer_policy(http: HttpClient, target: Target, params: ReferrerParams) -> None:
    """The web server sets a Referrer-Policy that keeps page URLs (and patient ids) private."""
    resp = page_response(http, target, params)
    value = resp.headers.get("referrer-policy")
    if value is None:
        fail(f"no Referrer-Policy header on {resp.describe()}")
    # With a list, browsers apply the last policy they understand.
    policies = [p.strip().lower() for p in value.split(",") if p.strip()]
    if not policies or policies[-1] not in params.allowed:
        fail(f"Referrer-Policy {value!r} is not one of {list(params.allowed)}")
