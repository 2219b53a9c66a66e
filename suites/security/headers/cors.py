"""No CORS policy that lets any site make credentialed requests."""

from __future__ import annotations

from homolog import CheckError, Evidence, HttpClient, Needs, Params, Target, check, fail

from ..endpoint_inventory import declared_paths
from ..header_analysis import cors_problem

#: The declared endpoints asked at most (`settings.security.inventory.paths`).
MAX_DECLARED = 10


class CorsParams(Params):
    """Bases and paths to ask (`base:path`), and the foreign origin to claim.

    By default: the FHIR API's `/metadata` and the web login page (or `/`), each where
    the target declares that base, the session resource of a single-page application's
    JSON login (`auth.web.api.session`, `/api/me`), and the first `MAX_DECLARED` endpoints
    `settings.security.inventory.paths` declares: an API, where the user's data is read,
    has a CORS policy of its own as often as not (`app.use('/api', cors(...))`).
    """

    endpoints: tuple[str, ...] | None = None
    origin: str = "https://attacker.homolog.invalid"


def _needs(params: CorsParams) -> Needs:
    return Needs(bases=tuple(dict.fromkeys(e.partition(":")[0] for e in params.endpoints or ())))


def _endpoints(target: Target, params: CorsParams) -> tuple[str, ...]:
    if params.endpoints is not None:
        return params.endpoints
    found = []
    if "fhir" in target.base_urls:
        found.append("fhir:/metadata")
    if "web" in target.base_urls:
        login = target.login_page("web")
        found.append(f"web:{target.page(login).path if login else '/'}")
        spec = target.auth("web")
        if spec is not None and spec.api is not None and spec.api.session:
            found.append(f"web:{spec.api.session}")
    found += [f"{base}:{path}" for _, base, path in declared_paths(target)[:MAX_DECLARED]]
    if not found:
        raise CheckError("the target declares neither base_urls.fhir nor base_urls.web: name the endpoints to ask")
    return tuple(dict.fromkeys(found))


@check("security.headers.cors", params=CorsParams, needs=_needs)
def cors_credentials(http: HttpClient, target: Target, params: CorsParams, evidence: Evidence) -> None:
    """The server never allows an arbitrary origin to read responses with the user's credentials."""
    problems: list[str] = []
    seen = []
    for endpoint in _endpoints(target, params):
        base, _, path = endpoint.partition(":")
        requests = [
            ("GET", {"Origin": params.origin}),
            (
                "OPTIONS",
                {
                    "Origin": params.origin,
                    "Access-Control-Request-Method": "GET",
                    "Access-Control-Request-Headers": "authorization",
                },
            ),
        ]
        for method, headers in requests:
            resp = http.request(method, path or "/", base=base, headers=headers, follow_redirects=False)
            acao = resp.headers.get("access-control-allow-origin")
            acac = resp.headers.get("access-control-allow-credentials")
            seen.append(
                {
                    "request": resp.describe(),
                    "status": resp.status_code,
                    "allow_origin": acao,
                    "allow_credentials": acac,
                }
            )
            problem = cors_problem(params.origin, acao, acac)
            if problem:
                problems.append(f"{resp.describe()}: {problem}")
    evidence.attach_json("cors.json", seen)
    if problems:
        fail("; ".join(problems))
    # A redirect or a server error is not the answer of the resource: no CORS header
    # there says nothing of the policy of the resource itself.
    if seen and all(_not_the_resource(s["status"]) for s in seen):
        statuses = ", ".join(f"{s['request']} -> {s['status']}" for s in seen)
        raise CheckError(f"every request got a redirect or a server error ({statuses}): the CORS policy is unknown")


def _not_the_resource(status: int) -> bool:
    return 300 <= status < 400 or status >= 500
