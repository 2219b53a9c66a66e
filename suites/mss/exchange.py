"""One exchange with the SUT: ask it to send (its trigger), then collect what reached the simulator.

The simulator's counters are read before the trigger, so only what arrives afterwards
belongs to this exchange. Collection stops once a message has arrived and nothing new
came for a short while, once every connection is closed, or at ``wait_seconds``.

The checks of a run judge one exchange: the first to need it triggers the SUT and
records what arrived in the run's shared state; the others, in any process, read it.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass
from typing import Any

from homolog import CheckError, Evidence, HttpClient, HttpError, SharedState, Target
from homolog.counterparts.mss import MssControl, MssControlError

from .settings import load_mss_settings

__all__ = ["Exchange", "findings", "observe", "shared_exchange"]

_POLL = 0.1
_SETTLE = 0.5


@dataclass(frozen=True)
class Exchange:
    """What one trigger produced: the trigger's answer, sessions and messages recorded."""

    trigger: dict[str, Any]
    sessions: list[dict[str, Any]]
    messages: list[dict[str, Any]]

    @property
    def accepted(self) -> list[dict[str, Any]]:
        """Messages the simulator received in full (not refused)."""
        return [m for m in self.messages if m.get("accepted")]

    def describe_nothing(self, wait: float) -> str:
        """Why nothing can be judged, for a CheckError."""
        answer = self.trigger.get("status")
        body = self.trigger.get("body", "")
        return (
            f"nothing reached the MSSanté simulator within {wait:g} s of the trigger"
            f" ({self.trigger.get('request')} answered {answer} {body[:200]!r}); is the SUT configured"
            " with the simulator's SMTP address (settings.counterparts.mss.url)?"
        )

    def to_evidence(self) -> dict[str, Any]:
        """JSON evidence: the trigger and the simulator's records (headers, findings; no content)."""
        return {"trigger": self.trigger, "sessions": self.sessions, "messages": self.messages}


def findings(records: list[dict[str, Any]], aspects: set[str], *, codes: tuple[str, ...] = ()) -> list[str]:
    """``"<what>: <message>"`` for each finding of the given aspects (and code prefixes)."""
    out = []
    for rec in records:
        what = f"message {rec['seq']}" if "mail_from" in rec else f"connection {rec['seq']} ({rec.get('port')} port)"
        for f in rec.get("findings", []):
            if f.get("aspect") in aspects and (not codes or str(f.get("code", "")).startswith(codes)):
                line = f"{what}: {f.get('message')}"
                if line not in out:
                    out.append(line)
    return out


def _trigger(target: Target, http: HttpClient) -> dict[str, Any]:
    settings = load_mss_settings(target)
    trig = settings.trigger
    if trig is None:
        raise CheckError(
            "the target declares no settings.mss.trigger: name the HTTP call that makes the"
            " system send a document through MSSanté (method, base, path, auth, json)"
        )
    try:
        resp = http.request(trig.method, trig.path, base=trig.base, auth=trig.auth, json=trig.json_body, timeout=30.0)
    except HttpError as exc:
        raise CheckError(f"the MSSanté trigger {trig.method} {trig.path} failed: {exc}") from exc
    return {
        "request": f"{trig.method} {trig.path}",
        "status": resp.status_code,
        "body": resp.text[:500],
    }


def observe(target: Target, http: HttpClient, control: MssControl) -> Exchange:
    """Trigger the SUT once and collect the sessions and messages that follow."""
    wait = load_mss_settings(target).wait_seconds
    try:
        since = control.counters()
    except MssControlError as exc:
        raise CheckError(str(exc)) from exc
    trigger = _trigger(target, http)
    deadline = time.monotonic() + wait
    last_change, seen = time.monotonic(), (-1, -1)
    sessions: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    while True:
        try:
            sessions = control.sessions(since["sessions"])
            messages = control.messages(since["messages"])
        except MssControlError as exc:
            raise CheckError(str(exc)) from exc
        now = time.monotonic()
        if (len(sessions), len(messages)) != seen:
            seen, last_change = (len(sessions), len(messages)), now
        all_closed = bool(sessions) and all(s.get("ended") for s in sessions)
        settled = now - last_change >= _SETTLE
        if (messages and settled) or (all_closed and settled) or now >= deadline:
            break
        time.sleep(_POLL)
    return Exchange(trigger=trigger, sessions=sessions, messages=messages)


def shared_exchange(
    target: Target, http: HttpClient, control: MssControl, evidence: Evidence, shared_state: SharedState
) -> Exchange:
    """The exchange of this run with this simulator (triggered by the first check that needs it)."""
    # The control URL names the simulator instance but holds its secret: only a digest is kept.
    instance = hashlib.sha256(control.control_url.encode()).hexdigest()[:16]
    with shared_state.hold("mss.exchange", instance) as record:
        if "exchange" not in record:
            record["exchange"] = asdict(observe(target, http, control))
        exchange = Exchange(**record["exchange"])
    evidence.attach_json("mss-exchange.json", exchange.to_evidence())
    if not exchange.sessions:
        raise CheckError(exchange.describe_nothing(load_mss_settings(target).wait_seconds))
    return exchange
