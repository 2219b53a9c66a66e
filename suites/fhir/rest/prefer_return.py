"""Check `fhir.rest.prefer_return`: a write honours Prefer: return=minimal, representation, OperationOutcome."""

from __future__ import annotations

from homolog import Evidence, HttpClient, Needs, Target, check
from homolog.suites.fhir.api import FHIR_API
from homolog.suites.fhir.writes import WriteParams, json_body, new_marker, writing

CLAUSE = (
    "FHIR R4 http.html#return (Managing Return Content): Prefer: return=minimal asks for no body, "
    "return=representation for the resource, return=OperationOutcome for an OperationOutcome; servers "
    "SHOULD honour it"
)


@check("fhir.rest.prefer_return", params=WriteParams, needs=FHIR_API | Needs(writes=True))
def prefer_return(http: HttpClient, target: Target, params: WriteParams, evidence: Evidence) -> None:
    """Creates answer no body, the resource or an OperationOutcome as Prefer: return= asks."""
    with writing(
        http, target, params, evidence, needs=("create",), clause=CLAUSE, label="Prefer (FHIR R4 http.html#return)"
    ) as w:
        for wanted in ("minimal", "representation", "OperationOutcome"):
            resp = w.create(new_marker(), headers={"Prefer": f"return={wanted}"})
            body = json_body(resp)
            kind = body.get("resourceType") if isinstance(body, dict) else None
            if wanted == "minimal" and resp.content.strip():
                w.problems.append(f"return=minimal: {resp.describe()} sent a body ({kind or 'not JSON'})")
            if wanted == "representation" and kind != w.write.resource_type:
                w.problems.append(
                    f"return=representation: the body is {kind or 'empty'}, not the {w.write.resource_type}"
                )
            if wanted == "OperationOutcome" and kind != "OperationOutcome":
                w.problems.append(f"return=OperationOutcome: the body is {kind or 'empty'}, not an OperationOutcome")
