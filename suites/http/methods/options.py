"""Check `http.methods.options`: OPTIONS on an existing resource is answered, or refused with 405/501."""

from __future__ import annotations

from typing import Any

from homolog import Evidence, HttpClient, Target, check, fail
from homolog.suites.http.probes import Prober

CLAUSES = {
    "OPTIONS": "RFC 9110 §9.3.7: OPTIONS asks for the communication options of the target resource",
    "Allow": "RFC 9110 §10.2.1: Allow lists the methods the target resource supports; §15.5.6: a 405 MUST carry Allow",
    "404": "RFC 9110 §15.5.5: 404 says the target resource has no current representation",
}


def _allowed(values: list[str]) -> set[str]:
    return {m.strip().upper() for v in values for m in v.split(",") if m.strip()}


@check("http.methods.options")
def options(http: HttpClient, target: Target, evidence: Evidence) -> None:
    """OPTIONS on a resource GET finds is answered (its Allow listing GET) or refused with 405 or 501."""
    problems: list[str] = []
    seen: list[dict[str, Any]] = []
    with Prober(http, target) as prober:
        for base, path in prober.each_probe():
            got = prober.send("GET", base, path)
            if not 200 <= got.response.status_code < 300:
                continue
            asked = prober.send("OPTIONS", base, path)
            resp = asked.response
            seen.append({"get": got.record(), "options": asked.record()})
            allow = _allowed(resp.header_values("allow"))
            if 200 <= resp.status_code < 300:
                if allow and "GET" not in allow:
                    problems.append(f"{asked.label}: Allow {sorted(allow)} omits GET, which works ({CLAUSES['Allow']})")
            elif resp.status_code == 405:
                if not allow:
                    problems.append(f"{asked.label} answered 405 without Allow ({CLAUSES['Allow']})")
            elif resp.status_code != 501:
                problems.append(
                    f"{asked.label} answered {resp.status_code} on a resource GET finds (200 with Allow, 405 "
                    f"or 501 expected; {CLAUSES['404'] if resp.status_code == 404 else CLAUSES['OPTIONS']})"
                )
    evidence.attach_json("http-options.json", {"clauses": CLAUSES, "exchanges": seen})
    if problems:
        fail("; ".join(problems[:5]))
