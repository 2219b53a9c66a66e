"""The rules of each authentication kind of a target's `auth:` entries.

    none     nothing (extra headers and cookies only)
    basic    username (or username_env), password_env
    bearer   token_env (a static token), or token_url + client_id + client_secret_env
             (client credentials, the token obtained once per run)
    header   token_env sent in `header` (default X-Api-Key)
    form     username (or username_env), password_env; the login form of the page map
             (`page`, default login), or with `api` the JSON login its scripts send
             (`login`; optional `csrf` and `session` paths, `token` key of its answer)
    oidc     issuer; with client_id (+ redirect_uri, client_secret_env) the harness is the
             client and uses the access token as a bearer token; without, the system is the
             client and the login starts from its page (`page`, `start` locator), the
             provider's own login form filled with `provider_locators`
    every kind: headers / headers_env, cookies / cookies_env, base

The JSON Schema says which fields exist; this module says which belong together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import Problem
from ..yamlsafe import Located

__all__ = ["KINDS", "LITERAL_SECRETS", "auth_problems"]

#: Keys that would hold a secret in the file itself: refused by load_target.
LITERAL_SECRETS = frozenset({"password", "token", "client_secret", "secret"})

_COMMON = frozenset({"type", "headers", "headers_env", "cookies", "cookies_env", "base"})
_ACCOUNT = frozenset({"username", "username_env", "password_env"})
KINDS: dict[str, frozenset[str]] = {
    "none": _COMMON,
    "basic": _COMMON | _ACCOUNT,
    "bearer": _COMMON | {"token_env", "token_url", "client_id", "client_secret_env", "scope"},
    "header": _COMMON | {"token_env", "header"},
    "form": _COMMON | _ACCOUNT | {"page", "api"},
    "oidc": _COMMON
    | _ACCOUNT
    | {"issuer", "client_id", "client_secret_env", "redirect_uri", "scope", "page", "start", "provider_locators"},
}


def auth_problems(doc: Located) -> list[Problem]:
    """Problems of the `auth:` entries of a target document (fields that do not go together)."""
    entries = doc.data.get("auth") if isinstance(doc.data, Mapping) else None
    if not isinstance(entries, Mapping):
        return []
    pages = doc.data.get("pages") if isinstance(doc.data.get("pages"), Mapping) else {}
    problems: list[Problem] = []
    for name, spec in entries.items():
        # an entry that writes a secret itself gets its own message (load_target)
        if isinstance(spec, Mapping) and str(spec.get("type")) in KINDS and not set(spec) & LITERAL_SECRETS:
            problems += [doc.problem(("auth", name, *key), msg) for key, msg in _entry(spec, pages)]
    return problems


def _entry(spec: Mapping[str, Any], pages: Mapping[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    kind = str(spec["type"])
    out: list[tuple[tuple[str, ...], str]] = []
    for key in spec:
        if key not in KINDS[kind]:
            out.append(((key,), f"does not apply to an auth of type {kind}"))
    has = set(spec)
    if kind in ("basic", "form") or (kind == "oidc" and "password_env" in has):
        if not has & {"username", "username_env"}:
            out.append(((), f"type {kind} needs username or username_env"))
        if "password_env" not in has:
            out.append(((), f"type {kind} needs password_env (the name of the variable holding the password)"))
    if kind == "bearer":
        grant = {"token_url", "client_id", "client_secret_env"}
        if "token_env" in has and has & grant:
            out.append(((), "type bearer takes token_env (a static token) or token_url + client_id, not both"))
        elif "token_env" not in has and not grant <= has:
            missing = ", ".join(sorted(grant - has))
            out.append(((), f"type bearer needs token_env, or token_url, client_id and client_secret_env ({missing})"))
    if kind == "header" and "token_env" not in has:
        out.append(((), "type header needs token_env"))
    if kind == "oidc":
        if "issuer" not in has:
            out.append(((), "type oidc needs issuer (the identity provider)"))
        if "client_id" in has and "redirect_uri" not in has:
            out.append(((), "type oidc with client_id needs redirect_uri (registered for the harness)"))
        if "client_id" not in has and "start" not in has:
            out.append(
                ((), "type oidc needs start (the locator of the provider login button on the system's login page)")
            )
    if kind in ("form", "oidc") and "client_id" not in has and pages:
        page = str(spec.get("page", "login"))
        entry = pages.get(page)
        if not isinstance(entry, Mapping):
            out.append((("page",) if "page" in has else (), f"no page {page!r} in the page map (pages:)"))
        elif kind == "oidc" and str(spec.get("start")) not in (entry.get("locators") or {}):
            out.append((("start",), f"page {page!r} has no locator {spec.get('start')!r}"))
    return out
