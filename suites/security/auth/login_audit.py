"""Login successes and failures in the audit trail (SSI/IAM.91)."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

from homolog import CheckError, CheckFailed, Evidence, HttpClient, Needs, Params, Target, check, fail

from ..web_login import account, try_login


class AuditParams(Params):
    """Where the audit trail is read and how far to page through it."""

    path: str = "/AuditEvent"
    page_size: int = 100
    max_pages: int = 20
    clock_skew_seconds: float = 120.0


def _parse_instant(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else None  # FHIR instants carry a zone; no zone = unusable


def _mentions(obj: Any, text: str) -> bool:
    return text.lower() in json.dumps(obj, ensure_ascii=False).lower()


def _is_login(event: dict[str, Any]) -> bool:
    """A login event: DICOM 110122 'Login' subtype, or 'login' in the type/subtype."""
    codes = [event.get("type", {}), *event.get("subtype", [])]
    for c in codes:
        if not isinstance(c, dict):
            continue
        if c.get("code") == "110122" or "login" in f"{c.get('code', '')} {c.get('display', '')}".lower():
            return True
    return False


def classify(event: dict[str, Any], user: str, since: dt.datetime) -> tuple[str | None, list[str]]:
    """('success'|'failure'|None, missing facts) for one AuditEvent about ``user``."""
    if event.get("resourceType") != "AuditEvent" or not _is_login(event):
        return None, []
    agents = event.get("agent") or []
    if not any(_mentions(a, user) for a in agents):
        return None, []
    when = _parse_instant(event.get("recorded"))
    if when is not None and when < since:
        return None, []
    missing = []
    if when is None:
        missing.append("recorded date-time with a time zone")
    if not event.get("action"):
        missing.append("action")
    outcome = event.get("outcome")
    if outcome is None:
        missing.append("outcome")
        return None, missing
    return ("success" if outcome == "0" else "failure"), missing


@check("security.auth.login_audit", params=AuditParams, needs=Needs(bases=("web", "fhir"), auth=("web", "fhir")))
def login_audit(http: HttpClient, target: Target, params: AuditParams, evidence: Evidence) -> None:
    """Every login attempt, failed or not, is traced with date-time, user, action and result."""
    user, password = account(target, "web")
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=params.clock_skew_seconds)
    bad = try_login(http, target, user, password + secrets.token_hex(4))
    if bad.success:
        fail(f"a wrong password was accepted for {user!r}")
    good = try_login(http, target, user, password)
    if not good.success:
        raise CheckError(f"the web account {user!r} cannot log in ({good.status})")
    found: dict[str, list[str]] = {}
    incomplete: list[str] = []
    url: str | None = params.path
    query: dict[str, Any] | None = {"_count": params.page_size}
    pages = 0
    while url and pages < params.max_pages:
        resp = http.get(url, base="fhir", auth="fhir", params=query)
        if resp.status_code != 200:
            raise CheckError(f"cannot read the audit trail: {resp.status_code} for {resp.describe()}")
        try:
            bundle = resp.json()
        except (ValueError, CheckFailed) as exc:
            # the audit trail is how the check sees the logins: unreadable, it cannot decide
            raise CheckError(f"cannot read the audit trail: {exc}") from None
        if not isinstance(bundle, dict):
            raise CheckError(f"cannot read the audit trail: {resp.describe()} returned JSON that is not a Bundle")
        for entry in bundle.get("entry", []) or []:
            event = entry.get("resource", {}) if isinstance(entry, dict) else {}
            kind, missing = classify(event, user, since)
            if missing:
                incomplete.append(f"AuditEvent/{event.get('id')}: missing {', '.join(missing)}")
            if kind:
                found.setdefault(kind, []).append(str(event.get("id")))
        if found.get("failure") and found.get("success"):
            # Both events just caused are found: the rest of the trail, whose length
            # depends on what ran before, is not read (same verdict whatever came first).
            break
        url = next(
            (link.get("url") for link in bundle.get("link", []) or [] if link.get("relation") == "next"),
            None,
        )
        query = None  # the next link carries its own query
        pages += 1
    evidence.attach_json("login-audit.json", {"user": user, "found": found, "incomplete": incomplete})
    if incomplete:
        fail("login audit events lack required facts: " + "; ".join(incomplete[:5]))
    for kind in ("failure", "success"):
        if not found.get(kind):
            fail(f"no AuditEvent records the login {kind} of {user!r} just performed")
