"""Client of the e-prescription simulator's control API, usable from any process."""

from __future__ import annotations

from typing import Any

from ..soap.control import ControlClient, ControlError

__all__ = ["ControlError", "EprescriptionControl"]


class EprescriptionControl(ControlClient):
    """Reads the registrations the simulator received and orders it to refuse the next ones."""

    service = "e-prescription"

    def prescriptions(self) -> list[dict[str, Any]]:
        """Prescriptions the service registered (id, prescriber, patient INS, items), oldest first."""
        return list(self.call("GET", "prescriptions"))

    def refuse_next(self, count: int = 1, *, status: int = 422, code: str = "ERX_REFUSED", reason: str = "") -> None:
        """Make the service refuse the next ``count`` registrations, as it refuses a malformed one."""
        self.call("POST", "refuse", {"count": count, "status": status, "code": code, "reason": reason})

    def cancel_refusals(self) -> None:
        """Drop the refusal orders not yet applied."""
        self.call("POST", "refuse/cancel", {})
