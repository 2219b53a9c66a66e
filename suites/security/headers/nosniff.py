"""X-Content-Type-Options: nosniff."""

from __future__ import annotations

from homolog import HttpClient, Target, check, fail

from ..header_fetch import PageParams, page_response


@check("security.headers.nosniff", params=PageParams)
def content_type_options(http: HttpClient, target: Target, params: PageParams) -> None:
    """The web server forbids MIME sniffing with X-Content-Type-Options: nosniff."""
    resp = page_response(http, target, params)
    value = resp.headers.get("x-content-type-options")
    if value is None or value.strip().lower() != "nosniff":
        fail(f"X-Content-Type-Options is {value!r}, expected 'nosniff' ({resp.describe()})")
