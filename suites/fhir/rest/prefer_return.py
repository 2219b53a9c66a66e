"""Check `fhir.rest.prefer_return`: a write honours Prefer: return=minimal, representation, OperationOutcome."""

from __future__ import annotations

from homolog import Evidence, HttpClient, Target, check, fail
from homolog.suites.fhir.writes import (
    CreatedLedger,
    WriteParams,
    json_body,
    marked,
    new_marker,
    refused_sample,
    write_target,
)

CLAUSE = (
    "FHIR R4 http.html#return (Managing Return Content): Prefer: return=minimal asks for no body, "
    "return=representation for the resource, return=OperationOutcome for an OperationOutcome; servers "
    "SHOULD honour it"
)


@check("fhir.rest.prefer_return", params=WriteParams)
def prefer_return(http: HttpClient, target: Target, params: WriteParams, evidence: Evidence) -> None:
    """Creates answer no body, the resource or an OperationOutcome as Prefer: return= asks."""
    write = write_target(http, target, params)
    write.require("create")
    ledger = CreatedLedger(http, write)
    problems: list[str] = []
    try:
        for wanted in ("minimal", "representation", "OperationOutcome"):
            resp = ledger.post(marked(write.sample, new_marker()), headers={"Prefer": f"return={wanted}"})
            if resp.status_code >= 300:
                raise refused_sample(write.resource_type, resp)
            body = json_body(resp)
            kind = body.get("resourceType") if isinstance(body, dict) else None
            if wanted == "minimal" and resp.content.strip():
                problems.append(f"return=minimal: {resp.describe()} sent a body ({kind or 'not JSON'})")
            if wanted == "representation" and kind != write.resource_type:
                problems.append(f"return=representation: the body is {kind or 'empty'}, not the {write.resource_type}")
            if wanted == "OperationOutcome" and kind != "OperationOutcome":
                problems.append(f"return=OperationOutcome: the body is {kind or 'empty'}, not an OperationOutcome")
    finally:
        ledger.clean_up(evidence)
    evidence.attach_json("fhir-prefer.json", {"clause": CLAUSE, "problems": problems})
    if problems:
        fail(f"Prefer not honoured ({CLAUSE.split(':')[0]}): " + "; ".join(problems))
