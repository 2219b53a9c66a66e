"""Check `http.headers.banner`: no response names the software behind the service or its version."""

from __future__ import annotations

import secrets
from typing import Any

from homolog import Evidence, HttpClient, Params, Target, check, fail
from homolog.suites.http.probes import Prober
from homolog.suites.http.rules import FRAMEWORKS, banner_findings

CLAUSE = (
    "RFC 9110 §10.2.4: an origin server SHOULD NOT generate a Server field with needlessly fine-grained "
    "detail, which may reveal internal implementation details to attackers"
)


class BannerParams(Params):
    """Application servers, frameworks and runtimes a Server value must not name (lower case)."""

    frameworks: tuple[str, ...] = FRAMEWORKS


@check("http.headers.banner", params=BannerParams)
def banner(http: HttpClient, target: Target, params: BannerParams, evidence: Evidence) -> None:
    """No response names the framework or gives software versions (Server, X-Powered-By), on any base."""
    findings: list[str] = []
    seen: list[dict[str, Any]] = []
    with Prober(http, target) as prober:
        probes = list(prober.each_probe())
        # Error pages are where frameworks most often sign their answers.
        probes += [(base, f"/homolog-missing-{secrets.token_hex(4)}") for base in dict.fromkeys(b for b, _ in probes)]
        for base, path in probes:
            ex = prober.send("GET", base, path)
            found = banner_findings(ex.response.raw_headers, params.frameworks)
            findings += [f"{ex.label}: {f}" for f in found]
            seen.append({**ex.record(), "findings": found})
    evidence.attach_json("http-banners.json", {"clause": CLAUSE, "responses": seen})
    if findings:
        unique = list(dict.fromkeys(f.split(": ", 1)[1] for f in findings))
        fail(f"responses announce the software ({CLAUSE.split(':')[0]}): " + "; ".join(unique[:5]))
