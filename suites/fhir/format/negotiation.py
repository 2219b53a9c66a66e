"""Check `fhir.format.negotiation`: _format overrides Accept; unsupported formats get 406 and 415."""

from __future__ import annotations

from homolog import Evidence, HttpClient, HttpError, check, fail
from homolog.suites.fhir.api import FHIR_API, FHIR_JSON, capability, fhir_get
from homolog.suites.seeded_examples import transport_outcome

CLAUSE = (
    "FHIR R4 http.html#parameters (_format overrides the Accept header; json, application/json and "
    "application/fhir+json SHALL mean JSON) and http.html#mime-type (server-driven content negotiation: "
    "406 Not Acceptable for a format the server does not support, 415 Unsupported Media Type for a body it "
    "cannot read; RFC 9110 §15.5.7, §15.5.16)"
)
_JSON = {"json", "application/json", FHIR_JSON}
_XML = {"xml", "application/xml", "text/xml", "application/fhir+xml"}


def _ctype(resp: object) -> str:
    return str(resp.headers.get("content-type", "")).split(";")[0].strip().lower()  # type: ignore[attr-defined]


@check("fhir.format.negotiation", needs=FHIR_API)
def negotiation(http: HttpClient, evidence: Evidence) -> None:
    """The server answers JSON to _format=json whatever Accept says, and refuses formats it does not speak."""
    cap = capability(http)
    formats = {str(f).lower() for f in cap.get("format") or []}
    problems: list[str] = []
    asked = fhir_get(http, "/metadata", params={"_format": "json"}, accept="application/fhir+xml")
    if asked.status_code != 200 or _ctype(asked) not in (FHIR_JSON, "application/json"):
        problems.append(
            f"_format=json with Accept: application/fhir+xml: {asked.describe()} answered {asked.status_code} "
            f"{_ctype(asked) or 'without content type'}, not FHIR JSON"
        )
    if not formats & _XML:
        xml = fhir_get(http, "/metadata", accept="application/fhir+xml")
        # RFC 9110 12.5.1 lets a server disregard Accept; what it sends must then be what it says.
        if xml.status_code == 406 or (xml.status_code == 200 and _ctype(xml) in (FHIR_JSON, "application/json")):
            pass
        else:
            problems.append(
                f"Accept: application/fhir+xml (not declared): {xml.describe()} answered {xml.status_code} "
                f"{_ctype(xml) or 'without content type'}, not 406"
            )
        target = next(
            (
                r["type"]
                for rest in cap.get("rest") or []
                if isinstance(rest, dict)
                for r in rest.get("resource") or []
                if isinstance(r, dict)
                and any(isinstance(i, dict) and i.get("code") == "create" for i in r.get("interaction") or [])
            ),
            None,
        )
        if target is not None:
            try:
                posted = http.request(
                    "POST",
                    f"/{target}",
                    base="fhir",
                    auth="fhir",
                    content=b"<homolog/>",
                    headers={"Content-Type": "application/fhir+xml", "Accept": FHIR_JSON},
                )
            except HttpError as exc:
                # The request is well formed: a server that breaks the exchange off (a crash
                # and a reset) has answered it, with something other than 415.
                problems.append(
                    f"a body in application/fhir+xml (not declared): POST /{target} ended in a "
                    f"{transport_outcome(exc)}, not 415"
                )
                posted = None
            if posted is not None and posted.status_code != 415:
                problems.append(
                    f"a body in application/fhir+xml (not declared): {posted.describe()} answered "
                    f"{posted.status_code}, not 415"
                )
    evidence.attach_json(
        "fhir-negotiation.json", {"clause": CLAUSE, "declared_formats": sorted(formats), "problems": problems}
    )
    if problems:
        fail("content negotiation: " + "; ".join(problems))
