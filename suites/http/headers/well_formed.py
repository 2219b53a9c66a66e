"""Check `http.headers.well_formed`: single-valued fields once, a valid Date and Content-Type."""

from __future__ import annotations

from typing import Any

from homolog import Evidence, HttpClient, Target, check, fail
from homolog.suites.http.probes import Prober
from homolog.suites.http.rules import content_type_problem, date_problem, duplicated_singletons, is_imf_fixdate

CLAUSES = {
    "single-valued fields": "RFC 9110 §5.3: a sender MUST NOT generate multiple field lines with the same "
    "name unless the field is defined as a list (or is Set-Cookie)",
    "Date": "RFC 9110 §6.6.1: an origin server MUST send Date in 2xx, 3xx and 4xx responses; "
    "§5.6.7: timestamps are generated as IMF-fixdate",
    "Content-Type": "RFC 9110 §8.3: a sender of content SHOULD send Content-Type; §8.3.1: media-type syntax",
}


@check("http.headers.well_formed")
def well_formed(http: HttpClient, target: Target, evidence: Evidence) -> None:
    """Every base sends single-valued headers once, an IMF-fixdate Date and a valid Content-Type."""
    problems: list[str] = []
    seen: list[dict[str, Any]] = []
    with Prober(http, target) as prober:
        for base, path in prober.each_probe():
            ex = prober.send("GET", base, path)
            resp = ex.response
            headers = resp.raw_headers
            found = [f"{d} (RFC 9110 §5.3)" for d in duplicated_singletons(headers)]
            found += [p for p in (date_problem(resp.status_code, headers),) if p]
            found += [p for p in (content_type_problem(headers, len(resp.content)),) if p]
            for value in resp.header_values("last-modified"):
                if not is_imf_fixdate(value):
                    found.append(f"Last-Modified {value[:60]!r} is not an IMF-fixdate (RFC 9110 §8.8.2, §5.6.7)")
            problems += [f"{ex.label}: {f}" for f in found]
            seen.append({**ex.record(), "problems": found})
    evidence.attach_json("http-headers.json", {"clauses": CLAUSES, "responses": seen})
    if problems:
        fail(f"{len(problems)} header problem(s): " + "; ".join(problems[:6]))
