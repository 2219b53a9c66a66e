"""Protection against framing (clickjacking)."""

from __future__ import annotations

from homolog import HttpClient, Target, check, fail

from ..header_analysis import frame_protection
from ..header_fetch import PageParams, header_list, page_response


@check("security.headers.frame_protection", params=PageParams)
def frame_options(http: HttpClient, target: Target, params: PageParams) -> None:
    """The web pages refuse to be framed by other sites (frame-ancestors or X-Frame-Options)."""
    resp = page_response(http, target, params)
    csps = header_list(resp.headers, "content-security-policy")
    xfo = resp.headers.get("x-frame-options")
    policies: list[str | None] = [*csps] or [None]  # no CSP at all: X-Frame-Options alone decides
    if not any(frame_protection(xfo, c) for c in policies):
        fail(f"neither CSP frame-ancestors nor X-Frame-Options DENY/SAMEORIGIN on {resp.describe()}")
