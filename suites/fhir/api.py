"""Helpers shared by the FHIR API checks: requests, JSON resources, bundles, validation.

Everything the SUT returns is untrusted: bodies are bounded by the engine's client,
parsed with `json`, and checked for shape before use. Calls use the target's base
`fhir` and auth `fhir` (bearer token).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from homolog import CheckError, CheckFailed, HttpClient, Needs, Response, Target, fetch_command
from homolog.suites.fhir.packages import (
    FhirPackageError,
    MissingDependency,
    load_conformance,
)
from homolog.suites.fhir.validator import Issue, Validator

__all__ = [
    "DEFAULT_PACKAGES",
    "FHIR_API",
    "FHIR_JSON",
    "bundle_resources",
    "capability",
    "declared_resource",
    "declared_url",
    "fhir_get",
    "foreign_urls",
    "is_fhir_json",
    "iter_pages",
    "missing_packages_note",
    "needed_body",
    "next_link",
    "operation_outcome_problem",
    "profile_for",
    "resource_body",
    "summarize",
    "validator_for",
]

FHIR_JSON = "application/fhir+json"
_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_REDIRECTS = 5
#: What every FHIR check needs: the API's base URL and its auth entry (`type: none` for an open API).
FHIR_API = Needs(bases=("fhir",), auth=("fhir",))
# Packages loaded when the target does not say (settings.fhir.requires).
DEFAULT_PACKAGES = ("hl7.fhir.fr.core#2.2.0",)
_MAX_ISSUES_SHOWN = 5


def fhir_get(
    http: HttpClient,
    path: str,
    *,
    params: Mapping[str, str] | None = None,
    accept: str | None = FHIR_JSON,
) -> Response:
    """GET on the target's FHIR base with its bearer auth and a FHIR JSON Accept header.

    Redirects are followed here, not by the client, so that one to a host or port the
    target does not declare fails the check with its URL (`declared_url`) instead of
    ending it in an error.
    """
    headers = {"Accept": accept} if accept else {}
    resp = http.get(path, base="fhir", auth="fhir", params=dict(params or {}), headers=headers, follow_redirects=False)
    for _ in range(_MAX_REDIRECTS):
        if resp.status_code not in _REDIRECTS or "location" not in resp.headers:
            return resp
        nxt = declared_url(http, urljoin(resp.url, resp.headers["location"]), f"{resp.describe()} redirects to")
        resp = http.get(nxt, auth="fhir", headers=headers, follow_redirects=False)
    if resp.status_code in _REDIRECTS:
        raise CheckFailed(f"{resp.describe()}: more than {_MAX_REDIRECTS} redirects")
    return resp


def declared_url(http: HttpClient, url: str, what: str) -> str:
    """`url`, advertised by the server (a link, a fullUrl, a redirect), when it is on a
    host and port the target declares; otherwise the check fails naming it, and it is
    never fetched: the harness stays in the target's scope, and a server that sends its
    clients to an address they were not given is wrong (a proxy's internal name, say)."""
    if not http.target.in_scope(url):
        raise CheckFailed(
            f"{what} {http.sanitizer.url(url)[:300]}, on a host or port none of the target's base_urls "
            "declares: not followed"
        )
    return url


def foreign_urls(http: HttpClient, bundle: Mapping[str, Any]) -> str | None:
    """What a Bundle advertises (links, entry fullUrls) on hosts or ports the target does
    not declare, or None: the origins, how many URLs of which kind, and the first one.

    Resource ids are left out but for the first URL, so that the same defect on the same
    system reads the same whatever resources earlier checks created.
    """
    found: list[tuple[str, str]] = []
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and isinstance(link.get("url"), str):
            found.append((f"link {link.get('relation')!s}", link["url"]))
    for entry in bundle.get("entry") or []:
        if isinstance(entry, dict) and isinstance(entry.get("fullUrl"), str):
            found.append(("entry fullUrl", entry["fullUrl"]))
    foreign = [
        (kind, url)
        for kind, url in found
        if urlsplit(url).scheme in ("http", "https") and not http.target.in_scope(url)
    ]
    if not foreign:
        return None
    origins = sorted({f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for _, u in foreign})
    kinds: dict[str, int] = {}
    for kind, _ in foreign:
        kinds[kind] = kinds.get(kind, 0) + 1
    counted = ", ".join(k if n == 1 else f"{k} x{n}" for k, n in kinds.items())
    return (
        f"{len(foreign)} URL(s) on {', '.join(http.sanitizer.url(o) for o in origins)}, which none of the "
        f"target's base_urls declares ({counted}; first: {http.sanitizer.url(foreign[0][1])[:300]})"
    )


def is_fhir_json(resp: Response) -> bool:
    """True when the response declares a FHIR JSON (or plain JSON) content type."""
    ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
    return ctype in (FHIR_JSON, "application/json")


def resource_body(resp: Response, expected_type: str | None = None) -> dict[str, Any]:
    """The JSON resource of a response; fails when it is not one (of `expected_type`)."""
    body = resp.json()
    if not isinstance(body, dict) or not isinstance(body.get("resourceType"), str):
        raise CheckFailed(f"{resp.describe()} did not return a FHIR resource (no resourceType)")
    if expected_type and body["resourceType"] != expected_type:
        raise CheckFailed(f"{resp.describe()} returned a {body['resourceType']}, expected {expected_type}")
    return body


def needed_body(resp: Response, expected_type: str) -> dict[str, Any]:
    """`resource_body` for a resource the check needs but does not judge (a test datum).

    A body that is not the resource makes the check unable to decide (`error`): the
    requirement at stake is another one than serving this resource.
    """
    try:
        return resource_body(resp, expected_type)
    except CheckFailed as exc:
        raise CheckError(f"{exc.message}: cannot decide") from None


def bundle_resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """Resources of a Bundle's entries (entries without a resource are skipped)."""
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise CheckFailed("Bundle.entry is not a list")
    return [e["resource"] for e in entries if isinstance(e, dict) and isinstance(e.get("resource"), dict)]


def capability(http: HttpClient) -> dict[str, Any]:
    """The target's CapabilityStatement from GET [base]/metadata."""
    resp = fhir_get(http, "/metadata")
    if resp.status_code != 200:
        raise CheckFailed(f"expected 200, got {resp.status_code} for {resp.describe()}")
    return resource_body(resp, "CapabilityStatement")


def declared_resource(cap: dict[str, Any], rtype: str) -> dict[str, Any] | None:
    """The `rest[mode=server].resource` entry of `rtype`, if the statement declares it."""
    for rest in cap.get("rest") or []:
        if not isinstance(rest, dict) or rest.get("mode") not in ("server", None):
            continue
        for res in rest.get("resource") or []:
            if isinstance(res, dict) and res.get("type") == rtype:
                return res
    return None


def operation_outcome_problem(resp: Response) -> str | None:
    """Why an error response is not a FHIR OperationOutcome (None when it is one)."""
    if not is_fhir_json(resp):
        ctype = resp.headers.get("content-type", "none")
        return f"{resp.describe()} answered {resp.status_code} with content type {ctype}"
    try:
        body = resp.json()
    except CheckFailed as exc:
        return str(exc)
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return f"{resp.describe()} answered {resp.status_code} without an OperationOutcome"
    issues = body.get("issue")
    if not isinstance(issues, list) or not issues:
        return f"{resp.describe()}: the OperationOutcome has no issue"
    for i in issues:
        if not isinstance(i, dict) or not i.get("severity") or not i.get("code"):
            return f"{resp.describe()}: an OperationOutcome issue lacks severity or code"
    return None


def profile_for(target: Target, rtype: str) -> str | None:
    """The canonical the target declares for `rtype` in settings.fhir.profiles."""
    profiles = target.settings("fhir").get("profiles") or {}
    if not isinstance(profiles, Mapping):
        raise CheckError("settings.fhir.profiles must map resource types to canonical URLs")
    value = profiles.get(rtype)
    return str(value) if value else None


def _package_sources(target: Target) -> tuple[tuple[str, ...], tuple[str, ...]]:
    settings = target.settings("fhir")
    own, folders = settings.get("packages") or [], settings.get("package_folders") or []
    requires = settings.get("requires") or list(DEFAULT_PACKAGES)
    if not all(isinstance(v, list) for v in (own, folders, requires)):
        raise CheckError("settings.fhir.packages, package_folders and requires must be lists")
    paths = [*own, *folders]  # the target's own packages first, then the folders the run adds
    return (
        tuple(str(target.resolve_path(str(p))) for p in paths),
        tuple(str(r) for r in requires),
    )


def _is_package(path: Path) -> bool:
    return path.is_file() or (path / "package" / "package.json").is_file() or (path / "package.json").is_file()


@functools.lru_cache(maxsize=4)
def _validator(search: tuple[str, ...], requires: tuple[str, ...], unknown_extensions: str) -> Validator:
    # A path naming a package itself (a vendor's own IG, say) is loaded; a folder of
    # packages or a cache is only searched for what `requires` names.
    named = [p for p in search if _is_package(Path(p))]
    conf = load_conformance([*named, *requires], search=[Path(p) for p in search])
    return Validator(conf, unknown_extensions=unknown_extensions)


def validator_for(target: Target) -> Validator:
    """A validator over the packages the target needs; CheckError when one is missing.

    `settings.fhir.unknown_extensions` (error, warning or information; error by default,
    as the HL7 validator) is the severity of an extension no loaded package defines.
    """
    search, requires = _package_sources(target)
    unknown = str(target.settings("fhir").get("unknown_extensions") or "error")
    if unknown not in ("error", "warning", "information"):
        raise CheckError("settings.fhir.unknown_extensions must be error, warning or information")
    try:
        return _validator(search, requires, unknown)
    except FhirPackageError as exc:
        raise CheckError(str(exc)) from None


def missing_packages_note(missing: list[MissingDependency]) -> str:
    """One sentence naming the dependency packages not found, what they weaken, and the command that fetches them."""
    found = "; ".join(f"{m.key} ({m.weakens})" for m in missing)
    return f"validation weakened, packages not found: {found}; `{fetch_command('fhir')}` installs them"


def summarize(issues: list[Issue], limit: int = _MAX_ISSUES_SHOWN) -> str:
    """The first issues as one line each, with a count of the rest."""
    lines = [str(i) for i in issues[:limit]]
    if len(issues) > limit:
        lines.append(f"... and {len(issues) - limit} more")
    return "; ".join(lines)


def iter_pages(http: HttpClient, first: dict[str, Any], *, max_pages: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """The first bundle then each `next` page (bounded), as (page number, bundle)."""
    bundle: dict[str, Any] | None = first
    page = 1
    seen: set[str] = set()
    while bundle is not None:
        yield page, bundle
        nxt = next_link(bundle)
        if nxt is None:
            return
        if nxt in seen:
            raise CheckFailed(f"page {page}: the next link repeats an earlier page ({nxt})")
        seen.add(nxt)
        if page >= max_pages:
            raise CheckError(f"more than {max_pages} pages: raise max_pages to follow them all")
        declared_url(http, nxt, f"page {page}: the next link")
        resp = http.get(nxt, auth="fhir", headers={"Accept": FHIR_JSON})
        if resp.status_code != 200:
            raise CheckFailed(f"following the next link: expected 200, got {resp.status_code} for {resp.describe()}")
        bundle = resource_body(resp, "Bundle")
        page += 1


def next_link(bundle: dict[str, Any]) -> str | None:
    """The URL of a Bundle's `next` link."""
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next" and link.get("url"):
            return str(link["url"])
    return None
