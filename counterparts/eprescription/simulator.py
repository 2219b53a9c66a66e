"""An e-prescription service simulator on 127.0.0.1: registration of a prescription, answered
with its unique prescription number.

``POST /eprescription/v1/prescriptions`` with a JSON body (shape in :mod:`.rules`) over HTTPS:

- ``201`` ``{"prescriptionId": "...", "registeredAt": "..."}`` when the registration holds
  what the service requires (prescriber idNatPS, patient INS and traits, date, items),
  every identifier well-formed;
- ``422`` ``{"error": "ERX_INVALID", "problems": [...]}`` otherwise, naming each problem;
- ``400`` for a body that is not JSON (or nested beyond reason), ``415`` for another media type.

The transport is the SOAP simulators' (:class:`~homolog.counterparts.soap.SoapService`: a CA
generated at start, bounded bodies, read deadlines, rejections recorded); only the payload
differs. Every exchange is recorded with the parsed registration, the problems found and the
answer. The prescription number is this simulator's own (22 characters, digits and
capitals): the real number's format is not public, so nothing here or in the checks relies on
it beyond equality.

Control API (``EprescriptionControl``): the generic actions, ``GET prescriptions`` (the
registered ones) and ``POST refuse`` ``{"count", "status", "code", "reason"}``: the next
``count`` registrations are refused with that answer, as a malformed one would be, so that a
check can see what the system does with a refusal; ``POST refuse/cancel`` drops the orders
not yet applied.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..identifiers import INS_NIA_OID, INS_NIR_OID
from ..soap.server import Reply, Request
from ..soap.simulator import SoapSimulator
from .rules import registration_problems

__all__ = ["SERVICE_PATH", "EprescriptionSimulator"]

SERVICE_PATH = "/eprescription/v1/prescriptions"
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I/O: read back from paper
_JSON = "application/json"
_MAX_REGISTRY = 1000


class EprescriptionSimulator(SoapSimulator):
    """The national e-prescription base, simulated. See the module docstring.

    ``accepted_ins_oids``: the patient id domains accepted (default INS-NIR and INS-NIA; a
    test platform adds the test ones).
    """

    name = "eprescription"
    path = SERVICE_PATH

    def __init__(
        self,
        *,
        accepted_ins_oids: Iterable[str] = (INS_NIR_OID, INS_NIA_OID),
        host: str = "127.0.0.1",
        port: int = 0,
        control_port: int = 0,
        workdir: Path | None = None,
        max_body: int = 256 * 1024,
    ) -> None:
        self.accepted_ins_oids = frozenset(accepted_ins_oids)
        self._registry: dict[str, dict[str, Any]] = {}
        self._refusals: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        super().__init__(host=host, port=port, control_port=control_port, workdir=workdir, max_body=max_body)

    # ---- control -----------------------------------------------------------------------
    def _info(self) -> dict[str, Any]:
        with self._lock:
            pending = sum(int(r["count"]) for r in self._refusals)
        return {"accepted_ins_oids": sorted(self.accepted_ins_oids), "pending_refusals": pending}

    def _control(self, method: str, action: str, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        if method == "GET" and action == "prescriptions":
            with self._lock:
                return 200, list(self._registry.values())
        if method == "POST" and action == "refuse":
            order = body if isinstance(body, dict) else {}
            count, status = order.get("count", 1), order.get("status", 422)
            if not isinstance(count, int) or not 1 <= count <= 100:
                return 400, {"error": "count: expected 1 to 100"}
            if not isinstance(status, int) or not 400 <= status <= 599:
                return 400, {"error": "status: expected an HTTP error status (400 to 599)"}
            refusal = {
                "count": count,
                "status": status,
                "code": str(order.get("code") or "ERX_REFUSED")[:100],
                "reason": str(order.get("reason") or "registration refused by the service")[:500],
            }
            with self._lock:
                self._refusals.append(refusal)
            return 200, {"ok": True}
        if method == "POST" and action == "refuse/cancel":
            with self._lock:
                self._refusals.clear()
            return 200, {"ok": True}
        return 404, {"error": f"unknown control action {method} {action}"}

    def _on_reset(self) -> None:
        with self._lock:
            self._registry.clear()
            self._refusals.clear()

    def _next_refusal(self) -> dict[str, Any] | None:
        with self._lock:
            if not self._refusals:
                return None
            refusal = self._refusals[0]
            refusal["count"] -= 1
            if refusal["count"] <= 0:
                self._refusals.pop(0)
            return dict(refusal)

    # ---- protocol ----------------------------------------------------------------------
    def _handle(self, request: Request) -> Reply:
        record: dict[str, Any] = {"operation": "register", "http": request.http_summary(), "problems": []}
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != _JSON:
            return self._answer(record, 415, "rejected", [f"Content-Type is {ctype or 'absent'!r}, expected {_JSON}"])
        try:
            body = json.loads(request.body)
        except RecursionError:
            return self._answer(record, 400, "rejected", ["the JSON body is nested too deeply to be read"])
        except (ValueError, UnicodeDecodeError) as exc:
            return self._answer(record, 400, "rejected", [f"the body is not JSON: {exc}"])
        record["registration"] = body if isinstance(body, dict) else None
        problems = registration_problems(body, self.accepted_ins_oids)
        if problems:
            return self._answer(record, 422, "refused", problems, code="ERX_INVALID")
        refusal = self._next_refusal()
        if refusal is not None:
            record["ordered_refusal"] = True
            return self._answer(record, refusal["status"], "refused", [refusal["reason"]], code=refusal["code"])
        prescription_id = "".join(secrets.choice(_ALPHABET) for _ in range(22))
        registered = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        entry = {
            "prescription_id": prescription_id,
            "registered_at": registered,
            "prescriber": body["prescriber"].get("idNatPS"),
            "patient_ins": body["patient"].get("ins"),
            "patient_ins_oid": body["patient"].get("insOid"),
            "issued": body.get("issued"),
            "items": [str(i.get("designation")) for i in body["items"]],
        }
        with self._lock:
            self._registry[prescription_id] = entry
            while len(self._registry) > _MAX_REGISTRY:
                self._registry.pop(next(iter(self._registry)))
        record["prescription_id"] = prescription_id
        answer = {"prescriptionId": prescription_id, "registeredAt": registered}
        return self._answer(record, 201, "registered", [], payload=answer)

    def _answer(
        self,
        record: dict[str, Any],
        status: int,
        outcome: str,
        problems: list[str],
        *,
        code: str = "ERX_MALFORMED",
        payload: dict[str, Any] | None = None,
    ) -> Reply:
        body = payload if payload is not None else {"error": code, "problems": problems}
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        record.update(outcome=outcome, status=status, problems=problems, response=body)
        self.log.add(record)
        return Reply(status, raw, content_type=f"{_JSON}; charset=utf-8")
