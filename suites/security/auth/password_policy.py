"""Minimum password length enforced when a password is set (SSI/IAM.92)."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import urlencode, urljoin

import pytest

from homolog import (
    CheckError,
    Evidence,
    HttpClient,
    Params,
    Response,
    SharedState,
    Target,
    browser_origin,
    check,
    fail,
    script_headers,
)

from ..web_login import WebSession, account, html_has, parse_login_form

_MAX_REDIRECTS = 5


def _after_redirects(session: WebSession, resp: Response) -> Response:
    """The page a browser shows after a form post: its redirects on the same site followed
    (post, redirect, get: the outcome is on the page redirected to)."""
    origin = browser_origin(str(resp.url))
    for _ in range(_MAX_REDIRECTS):
        location = resp.headers.get("location")
        if not 300 <= resp.status_code < 400 or not location:
            return resp
        nxt = urljoin(str(resp.url), location)
        if browser_origin(nxt) != origin:
            raise CheckError(f"{resp.describe()} redirects to another site after the password form: outcome unknown")
        resp = session.request("GET", nxt)
    raise CheckError(f"more than {_MAX_REDIRECTS} redirects after the password form: outcome unknown")


class PasswordParams(Params):
    """Minimum length the SUT must enforce (SSI/IAM.92 scenario: 15) and the account used."""

    min_length: int = 15
    auth_name: str = "password_change"
    page: str = "password_change"


def _password(original: str, generation: int, length: int) -> str:
    """The password of a generation, derived from the account's original one.

    All four character classes, no username inside: only the length can be at fault.
    Derived rather than random so that any process of the run can compute the current
    password from the generation recorded in the run directory, never the password.
    """
    digest = hmac.new(original.encode(), f"homolog password policy {generation}".encode(), hashlib.sha256)
    return ("Aa1!" + digest.hexdigest() * (1 + length // 64))[:length]


#: The JSON keys of a password change unless settings.security.password_fields names others.
_API_FIELDS = {"current": "current_password", "new": "new_password"}


def _fields(target: Target) -> dict[str, str]:
    """The JSON keys of the password change: `new`, and `current` and `confirm` unless the
    API asks none (`current: ""`, as fastapi-users' `PATCH /users/me`; `confirm` declared)."""
    declared = target.settings("security").get("password_fields") or {}
    if (
        not isinstance(declared, dict)
        or not set(declared) <= {"current", "new", "confirm"}
        or not all(isinstance(v, str) for v in declared.values())
        or declared.get("new") == ""
    ):
        raise CheckError(
            "settings.security.password_fields: a mapping of current, new and confirm to JSON keys "
            '(current: "" for an API that asks no current password)'
        )
    return {k: v for k, v in {**_API_FIELDS, **declared}.items() if v}


def _changed_over_api(
    http: HttpClient,
    target: Target,
    session: WebSession,
    request: tuple[str, str],
    auth: str,
    change: tuple[str, str, str],
    evidence: Evidence,
) -> bool:
    """Send the change (user, current, new) as the page's script sends it, `request` its
    (method, path); whether it took effect is read from its effect: the new password opens
    a session of its own.

    An answer is not taken at its word: APIs answer a refusal 200 with the reason in the
    body as often as 400, and a 2xx whose password does not open a session is a refusal.
    """
    user, current, new = change
    keys = _fields(target)
    body = {keys[k]: current if k == "current" else new for k in keys}
    headers = script_headers(session.page_url(), (f"{k}={v}" for k, v in session.cookies.items()))
    headers |= {"Content-Type": "application/json", "Accept": "application/json"}
    resp = session.request(*request, content=json.dumps(body).encode(), headers=headers)
    if resp.status_code >= 500 or resp.status_code in (401, 403, 404, 405, 415) or 300 <= resp.status_code < 400:
        hint = " (another method: api.password 'PATCH <path>'?)" if resp.status_code == 405 else ""
        raise CheckError(
            f"the password change answered {resp.status_code} ({resp.describe()}): not a policy decision{hint}"
        )
    with WebSession(http, target, auth=auth) as fresh:
        opened = fresh.login(user, new, confirm=True).success
    evidence.attach_json(
        f"password-change-{len(new)}.json",
        {"answer": resp.describe(), "status": resp.status_code, "the new password opens a session": opened},
    )
    return opened


@check("security.auth.password_policy", params=PasswordParams, tags=("sacrificial-account",))
def password_policy(
    http: HttpClient, target: Target, params: PasswordParams, shared_state: SharedState, evidence: Evidence
) -> None:
    """Passwords shorter than the minimum length are refused when a user sets one.

    Uses the password form of the page map (``pages.password_change``, locators
    ``current``, ``new``, and ``done`` / ``error`` to read the outcome) with the
    sacrificial account ``auth.password_change``: its password is changed. A single-page
    application's account declares instead where its scripts send the change
    (``auth.password_change.api.password``, a path POSTed to or ``PATCH /users/me``; JSON
    keys ``current_password`` and ``new_password`` unless ``settings.security.password_fields``
    names others, with ``confirm`` for a confirmation key, ``current: ""`` where none is
    asked): a change took effect when the new password opens a session, whatever the
    answer said. Later uses in
    the same run (any worker, or a resumed run) log in with the new one: the run
    directory records which generation of derived password is current, never the
    password, and the account is held for the whole check. The control password (same
    make-up, must be accepted) has ``max(min_length, settings.security.password_min_length)``
    characters. A target without that page or account gets ``skipped``: the requirement
    then needs an attestation.
    """
    spec = target.auth(params.auth_name)
    api = spec.api.password_change if spec is not None and spec.api is not None else None
    if spec is None or (api is None and params.page not in target.pages):
        pytest.skip(
            f"the target declares no pages.{params.page} nor auth.{params.auth_name}.api.password, or no "
            f"auth.{params.auth_name}: the password policy must be attested"
        )
    done = error = None
    if api is None:
        page = target.page(params.page)
        done, error = page.locators.get("done"), page.locators.get("error")
        if not done and not error:
            raise CheckError(f"pages.{params.page} needs a 'done' or 'error' locator to read outcomes")
    user, original = account(target, params.auth_name)

    with (
        shared_state.hold("security.auth.password_policy", f"{target.base_url('web')} {user}") as current,
        WebSession(http, target, auth=params.auth_name) as session,
    ):
        generation = current.get("generation")
        password = original if generation is None else _password(original, generation, current["length"])
        evidence.secret(password)
        login = session.login(user, password)
        if not login.success:
            raise CheckError(
                f"the account {user!r} cannot log in ({login.status}); "
                "was its password already changed by an earlier run?"
            )

        def accepted(new: str) -> bool:
            evidence.secret(new)  # the account's password from now on, or a refused one: redacted
            if api is not None:
                return _changed_over_api(http, target, session, api, params.auth_name, (user, password, new), evidence)
            form_page = session.request("GET", page.path)
            if form_page.status_code != 200:
                raise CheckError(f"expected 200, got {form_page.status_code} for {form_page.describe()}")
            try:
                form = parse_login_form(
                    form_page.text,
                    {
                        "username": page.locators.get("current", ""),
                        "password": page.locators.get("new", ""),
                    },
                    {"username": "", "password": ""},
                )
            except ValueError as exc:
                raise CheckError(f"cannot read the password form: {exc}") from exc
            data = dict(form.fields)
            # the new password goes in every password field but the current one (a confirmation too)
            data.update((name, new) for name in form.password_fields if name != form.username_name)
            data[form.username_name] = password  # the "current password" field
            data[form.password_name] = new
            resp = session.request(
                "POST",
                urljoin(str(form_page.url), form.action or ""),
                content=urlencode(data).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded", "Referer": str(form_page.url)},
            )
            resp = _after_redirects(session, resp)
            if resp.status_code >= 500 or resp.status_code in (401, 403, 404, 405):
                raise CheckError(
                    f"the password form answered {resp.status_code} ({resp.describe()}): not a policy decision"
                )
            if resp.status_code >= 400:
                return False
            try:
                if done and html_has(resp.text, done):
                    return True
                if error and html_has(resp.text, error):
                    return False
            except ValueError as exc:
                raise CheckError(f"pages.{params.page}: {exc}") from exc
            raise CheckError(
                f"{resp.describe()} answered {resp.status_code} without the 'done' or 'error' element: outcome unknown"
            )

        following = (generation or 0) + 1
        short_length = params.min_length - 1
        if accepted(_password(original, following, short_length)):
            current.update(generation=following, length=short_length)
            fail(f"a {short_length}-character password was accepted (minimum {params.min_length})")
        # The control password has the same make-up, only longer: if it is accepted, the
        # refusal was about length. A vendor minimum stricter than ours is honoured.
        declared = target.settings("security").get("password_min_length")
        control = max(params.min_length, declared if isinstance(declared, int) else 0)
        if not accepted(_password(original, following + 1, control)):
            raise CheckError(
                f"a {control}-character password was refused too: cannot tell a length rule from another refusal"
            )
        current.update(generation=following + 1, length=control)
