"""One prescription made through the system: its trigger, what reached the service, the PDF.

The simulator's sequence number is noted before the trigger, so only registrations that
arrive afterwards belong to this prescription. The checks of a run judge one prescription:
the first to need it triggers the system and keeps what happened in the run's shared state
(the PDF base64-encoded); the others, in any process, read it. A check that orders the
service to refuse holds the same record while it prescribes, so no other prescription of
the run can meet its refusal.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from homolog import CheckError, CheckFailed, Evidence, HttpClient, HttpError, Needs, SharedState, Target
from homolog.counterparts.eprescription import ControlError, EprescriptionControl
from homolog.suites.soap_counterparts import wait_for_exchanges

from .settings import ErxSettings, erx_settings

__all__ = ["MAX_PDF", "PRESCRIBES", "Prescribing", "attach", "prescribe", "serialised", "shared_prescribing"]

MAX_PDF = 5 * 1024 * 1024
#: Every e-prescription check makes (or reads) a prescription the system registers: a write
#: a read-only target forbids. The service offers no cancellation the harness could undo it with.
PRESCRIBES = Needs(writes=True)
_NAMESPACE = "eprescription.prescribing"


@dataclass(frozen=True)
class Prescribing:
    """What one trigger produced: the system's answer, the registrations the service received,
    and the printed prescription (PDF, base64) or why there is none."""

    trigger: dict[str, Any]
    registrations: list[dict[str, Any]]
    pdf_b64: str | None
    no_pdf: str | None
    day: str  # the harness's local date when it triggered (ISO)

    @property
    def pdf(self) -> bytes | None:
        return base64.b64decode(self.pdf_b64) if self.pdf_b64 is not None else None

    @property
    def registered(self) -> list[dict[str, Any]]:
        """The registrations the service accepted."""
        return [r for r in self.registrations if r.get("outcome") == "registered"]

    def answer(self) -> str:
        """The trigger and the system's answer, one line, for messages."""
        body = str(self.trigger.get("body") or "")
        return f"{self.trigger.get('request')} answered {self.trigger.get('status')} {body[:300]!r}"

    def to_evidence(self) -> dict[str, Any]:
        """JSON evidence: everything but the PDF (attached beside it)."""
        return {k: v for k, v in asdict(self).items() if k != "pdf_b64"}

    def printed(self) -> bytes:
        """The PDF; CheckFailed when the system printed none (it was asked for a valid prescription)."""
        pdf = self.pdf
        if pdf is None:
            raise CheckFailed(f"the system printed no prescription: {self.no_pdf} ({self.answer()})")
        return pdf


def _pdf(http: HttpClient, settings: ErxSettings, resp: Any) -> tuple[bytes | None, str | None]:
    """The printed prescription the answer carries or names, or why there is none."""
    trig = settings.trigger
    assert trig is not None
    if resp.status_code >= 300:
        return None, f"the trigger answered {resp.status_code}"
    ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
    if settings.pdf_link is None:
        content = resp.content
    else:
        try:
            link = resp.json().get(settings.pdf_link) if ctype.endswith("json") else None
        except (ValueError, AttributeError, CheckFailed):
            link = None
        if not isinstance(link, str) or not link:
            return None, f"the trigger's answer names no PDF under {settings.pdf_link!r}"
        try:
            got = http.get(link, base=trig.base, auth=trig.auth, timeout=30.0)
        except HttpError as exc:
            raise CheckError(f"fetching the printed prescription {link[:200]} failed: {exc}") from exc
        if got.status_code != 200:
            return None, f"GET {link[:200]} answered {got.status_code}"
        content = got.content
    if not content.startswith(b"%PDF-"):
        return None, f"the printed prescription is not a PDF (it starts with {content[:16]!r})"
    if len(content) > MAX_PDF:
        return None, f"the printed prescription is {len(content)} bytes, above the {MAX_PDF} this harness reads"
    return content, None


def prescribe(target: Target, http: HttpClient, control: EprescriptionControl) -> Prescribing:
    """Trigger the system once; collect the registrations that follow and the PDF."""
    settings = erx_settings(target)
    trig = settings.trigger
    if trig is None:
        raise CheckError(
            "the target declares no settings.eprescription.trigger: name the HTTP call that makes the"
            " system prescribe and print (method, base, path, auth, json)"
        )
    try:
        since = control.last_seq()
    except ControlError as exc:
        raise CheckError(str(exc)) from exc
    day = dt.date.today().isoformat()
    try:
        resp = http.request(trig.method, trig.path, base=trig.base, auth=trig.auth, json=trig.json_body, timeout=60.0)
    except HttpError as exc:
        raise CheckError(f"the e-prescription trigger {trig.method} {trig.path} failed: {exc}") from exc
    ctype = resp.headers.get("content-type", "")
    trigger = {
        "request": f"{trig.method} {trig.path}",
        "status": resp.status_code,
        "content_type": ctype[:200],
        "body": "" if "pdf" in ctype else resp.text[:2000],
    }
    pdf, no_pdf = _pdf(http, settings, resp)
    registrations = wait_for_exchanges(
        control, since, lambda r: r.get("operation") in ("register", "rejected"), wait=settings.wait_seconds
    )
    return Prescribing(
        trigger=trigger,
        registrations=registrations,
        pdf_b64=base64.b64encode(pdf).decode() if pdf is not None else None,
        no_pdf=no_pdf,
        day=day,
    )


def _instance(control: EprescriptionControl) -> str:
    # The control URL names the simulator instance but holds its secret: only a digest is kept.
    return hashlib.sha256(control.control_url.encode()).hexdigest()[:16]


@contextmanager
def serialised(shared_state: SharedState, control: EprescriptionControl) -> Iterator[dict[str, Any]]:
    """The run's prescribing record, held: no other check prescribes through this service meanwhile."""
    with shared_state.hold(_NAMESPACE, _instance(control)) as record:
        yield record


def shared_prescribing(
    target: Target, http: HttpClient, control: EprescriptionControl, evidence: Evidence, shared_state: SharedState
) -> Prescribing:
    """The prescription of this run through this service (made by the first check that needs it)."""
    with serialised(shared_state, control) as record:
        if "prescribing" not in record:
            record["prescribing"] = asdict(prescribe(target, http, control))
        made = Prescribing(**record["prescribing"])
    attach(evidence, made)
    return made


def attach(evidence: Evidence, made: Prescribing, *, name: str = "eprescription") -> None:
    """Keep the exchange and the PDF as evidence."""
    evidence.attach_json(f"{name}.json", made.to_evidence())
    pdf = made.pdf
    if pdf is not None:
        evidence.attach_bytes(f"{name}.pdf", pdf, media_type="application/pdf")
