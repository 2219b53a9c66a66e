"""Acknowledging an alert leaves a trace of who saw it and when.

The check acknowledges the first alert the alerts page offers to acknowledge, as the
professional of ``auth.web``: an acknowledgement cannot be taken back, so the system keeps
it (the alert is named in the evidence). A system with no alert waiting leaves it undecided.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from typing import Any

from homolog import CheckError, Evidence, HttpClient, Params, Target, check, fail
from homolog.suites.fhir.api import bundle_resources, fhir_get, needed_body


class AckParams(Params):
    """``clock_skew_seconds``: how far the recorded time may be from the moment the harness saw
    the acknowledgement; ``audit_wait_seconds``: how long the audit trail is read again for an
    event naming the alert (a system may write it after answering the click)."""

    clock_skew_seconds: int = 120
    audit_wait_seconds: float = 5.0


def _names_entity(event: dict[str, Any], entity: str) -> bool:
    """The event names the alert, by a relative (``Flag/1``) or absolute reference."""
    for item in event.get("entity") or []:
        what = item.get("what") if isinstance(item, dict) else None
        ref = str(what.get("reference") or "") if isinstance(what, dict) else ""
        if ref == entity or ref.endswith("/" + entity):
            return True
    return False


def _agents_name(event: dict[str, Any], names: set[str]) -> bool:
    for agent in event.get("agent") or []:
        if not isinstance(agent, dict):
            continue
        who = agent.get("who")
        who = who if isinstance(who, dict) else {}
        ident = who.get("identifier")
        ident = ident if isinstance(ident, dict) else {}
        said = {str(v).strip() for v in (who.get("display"), ident.get("value"), agent.get("altId"), agent.get("name"))}
        if said & names:
            return True
    return False


def _recorded(event: dict[str, Any]) -> dt.datetime | None:
    raw = event.get("recorded")
    try:
        when = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None  # FHIR instants carry their offset


@check("telehealth.alerts.ack_traced", params=AckParams)
def ack_traced(psc_ui: Any, http: HttpClient, target: Target, evidence: Evidence, params: AckParams) -> None:
    """Acknowledging an alert records who acknowledged it and when, in the audit trail."""
    spec = target.settings("telehealth").get("alert_audit") or {}
    pattern = spec.get("entity") if isinstance(spec, dict) else None
    if not pattern:
        raise CheckError(
            "settings.telehealth.alert_audit.entity is not declared: which AuditEvent entity names an alert"
        )
    auth = target.auth("web")
    if auth is None or not auth.username:
        raise CheckError("the target declares no auth.web with a username: the professional who acknowledges")
    ui = psc_ui
    ui.login(auth="web", landing=False)
    page = target.page("alerts")
    id_sel, ack_sel = page.locator("alert_id"), page.locator("ack")

    def acknowledge() -> tuple[str, str, dt.datetime]:
        ui.goto("alerts")
        row = next((r for r in ui.locator("alerts", "alert").all() if r.locator(ack_sel).count()), None)
        if row is None:
            raise CheckError("the alerts page shows no alert waiting for acknowledgement: the check needs one")
        alert_id = str(row.locator(id_sel).first.inner_text()).strip()
        if not alert_id:
            raise CheckError("the alert waiting for acknowledgement shows no alert_id")
        # the name the UI shows for the professional counts as "who" too (pages.home.current_user)
        shown = ui.page.locator(target.page("home").locator("current_user"))
        shown_user = str(shown.first.inner_text()).strip() if shown.count() else ""
        before = dt.datetime.now(dt.UTC)
        try:
            # a form post navigates, a single-page application sends a request: wait for either
            row.locator(ack_sel).first.click()
            ui.page.wait_for_load_state("load")
        except Exception as exc:
            raise CheckError(f"acknowledging alert {alert_id} did not complete in the browser: {exc}") from exc
        return alert_id, shown_user, before

    alert_id, shown_user, before = ui.in_session(acknowledge, what="acknowledging an alert")
    with contextlib.suppress(Exception):  # long polling never idles: the audit trail decides
        ui.page.wait_for_load_state("networkidle", timeout=5_000)
    after = dt.datetime.now(dt.UTC)
    ui.screenshot("after-acknowledgement.png")
    entity = str(pattern).format(alert=alert_id)
    deadline = time.monotonic() + params.audit_wait_seconds
    while True:
        resp = fhir_get(http, "/AuditEvent", params={"entity": entity})
        if resp.status_code != 200:
            raise CheckError(f"cannot read the audit trail: {resp.status_code} for {resp.describe()}")
        events = [e for e in bundle_resources(needed_body(resp, "Bundle")) if _names_entity(e, entity)]
        if events or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    evidence.attach_json("audit-events.json", events)
    window = dt.timedelta(seconds=params.clock_skew_seconds)
    moment = f"between {before.isoformat(timespec='seconds')} and {after.isoformat(timespec='seconds')}"
    if not events:
        fail(
            f"alert {alert_id} was acknowledged {moment} but no AuditEvent names {entity}"
            f" ({params.audit_wait_seconds:g} s later)"
        )
    names = {auth.username, shown_user} - {""}
    by_user = [e for e in events if _agents_name(e, names)]
    if not by_user:
        fail(f"the AuditEvents naming {entity} do not say that {' / '.join(sorted(names))} acknowledged it")
    timed = [e for e in by_user if (w := _recorded(e)) is not None and before - window <= w <= after + window]
    if not timed:
        recorded = ", ".join(str(e.get("recorded")) for e in by_user[:3])
        fail(f"the AuditEvents of {entity} by {auth.username} are recorded at {recorded}, not {moment}")
