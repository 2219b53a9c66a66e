"""Check `http.methods.head`: HEAD answers like GET, without content."""

from __future__ import annotations

from typing import Any

from homolog import Evidence, HttpClient, Target, check, fail
from homolog.suites.http.probes import Prober

CLAUSE = (
    "RFC 9110 §9.1: all general-purpose servers MUST support GET and HEAD; §9.3.2: HEAD is identical to "
    "GET except that the server MUST NOT send content"
)


@check("http.methods.head")
def head(http: HttpClient, target: Target, evidence: Evidence) -> None:
    """Every probed URL answers HEAD with the status GET gets, and no content, on every base."""
    problems: list[str] = []
    seen: list[dict[str, Any]] = []
    with Prober(http, target) as prober:
        for base, path in prober.each_probe():
            got = prober.send("GET", base, path)
            headed = prober.send("HEAD", base, path)
            seen.append({"get": got.record(), "head": headed.record()})
            if headed.response.status_code != got.response.status_code:
                problems.append(
                    f"{headed.label} answered {headed.response.status_code} where GET answers "
                    f"{got.response.status_code}"
                )
            elif headed.response.content:
                problems.append(f"{headed.label} sent {len(headed.response.content)} bytes of content")
    evidence.attach_json("http-head.json", {"clause": CLAUSE, "exchanges": seen})
    if problems:
        fail(f"HEAD is not GET without content ({CLAUSE}): " + "; ".join(problems[:5]))
