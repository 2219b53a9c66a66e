"""Check `http.status.not_found`: 404 for what does not exist, 405 or 501 for a method a resource lacks."""

from __future__ import annotations

import posixpath
import secrets
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html

from homolog import CheckError, Evidence, HttpClient, Target, check, fail
from homolog.suites.http.probes import Exchange, Prober

CLAUSES = {
    "404": "RFC 9110 §15.5.5: 404 (Not Found) says the origin server has no current representation "
    "for the target resource",
    "405": "RFC 9110 §15.5.6: 405 (Method Not Allowed) is for a method the target resource does not "
    "support, and MUST carry an Allow header field",
    "501": "RFC 9110 §9.1 and §15.6.2: a method the server does not recognise SHOULD be answered 501",
}
_UNKNOWN_METHOD = "HOMOLOGPROBE"
_PARSER = lxml.html.HTMLParser(no_network=True, remove_comments=True)


def _static_sibling(page: Exchange) -> str | None:
    """A path beside a static asset the page uses (stylesheet, script, image), that cannot exist."""
    resp = page.response
    if "html" not in resp.headers.get("content-type", "") or not resp.content.strip():
        return None
    doc = lxml.html.document_fromstring(resp.content, parser=_PARSER)
    origin = urlsplit(resp.url)
    for ref in doc.xpath("//link[@rel='stylesheet']/@href | //script/@src | //img/@src"):
        parts = urlsplit(urljoin(resp.url, str(ref)))
        if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
            continue  # another site's asset says nothing about this server
        folder, name = posixpath.split(parts.path)
        ext = posixpath.splitext(name)[1]
        return f"{origin.scheme}://{origin.netloc}{folder.rstrip('/')}/homolog-missing-{secrets.token_hex(4)}{ext}"
    return None


@check("http.status.not_found")
def not_found(http: HttpClient, target: Target, evidence: Evidence) -> None:
    """Missing paths and files answer 404, and a method a resource lacks answers 405 (with Allow) or 501."""
    problems: list[str] = []
    undecided: list[str] = []
    seen: list[dict[str, Any]] = []

    def judge_missing(ex: Exchange, what: str) -> None:
        status = ex.response.status_code
        seen.append({**ex.record(), "probe": what})
        if status in (404, 410):
            return
        if status in (401, 403):
            undecided.append(f"{ex.label} answered {status}: no credentials reach it")
            return
        problems.append(f"{what} {ex.label} answered {status}, not 404 ({CLAUSES['404']})")

    with Prober(http, target) as prober:
        bases: list[str] = []
        folders: set[tuple[str, str]] = set()
        for base, path in prober.each_probe():
            if base not in bases:
                bases.append(base)
                missing = f"/homolog-missing-{secrets.token_hex(6)}"
                judge_missing(prober.send("GET", base, missing, follow=True), "a path that does not exist:")
            ex = prober.send("GET", base, path)
            if not 200 <= ex.response.status_code < 300:
                continue
            sibling = _static_sibling(ex)
            if sibling is not None and (base, sibling.rsplit("/", 1)[0]) not in folders:
                folders.add((base, sibling.rsplit("/", 1)[0]))
                judge_missing(prober.send("GET", base, sibling, follow=True), "a static file that does not exist:")
            other = prober.send(_UNKNOWN_METHOD, base, path)
            status = other.response.status_code
            seen.append({**other.record(), "probe": "an unknown method on an existing resource"})
            if status == 405 and not other.response.header_values("allow"):
                problems.append(f"{other.label} answered 405 without an Allow header ({CLAUSES['405']})")
            elif status in (401, 403):
                undecided.append(f"{other.label} answered {status}")
            elif status not in (405, 501):
                problems.append(
                    f"{other.label} (a method the server cannot support) on a resource that GET finds answered "
                    f"{status}, not 405 or 501 ({CLAUSES['501']})"
                )
    evidence.attach_json("http-status.json", {"clauses": CLAUSES, "responses": seen, "undecided": undecided})
    if problems:
        fail("; ".join(problems[:5]))
    if undecided and len(undecided) == len(seen):
        raise CheckError("no probe could be judged: " + "; ".join(undecided[:3]))
