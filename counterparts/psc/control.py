"""Client of the simulator's control API, usable from any process (xdist workers)."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from ..loopback import control_http

__all__ = ["TICKET_COOKIE", "PscControl", "PscControlError"]

#: The cookie a check sets on the simulator's origin to tie a browser to its ticket
#: (its misbehaviour and professional): known to both the simulator and its clients.
TICKET_COOKIE = "homolog_psc_ticket"


class PscControlError(Exception):
    """The simulator's control API could not be reached or refused the order."""


class PscControl:
    """Read records and order misbehaviour from a simulator known by its control URL."""

    def __init__(self, control_url: str, *, timeout: float = 5.0) -> None:
        if not control_url.startswith("http://127.0.0.1:"):
            # The simulator only ever listens on loopback; anything else is a typo or worse.
            raise PscControlError(f"control URL must be on http://127.0.0.1: {control_url!r}")
        self.control_url = control_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, action: str, body: dict[str, Any] | None = None) -> Any:
        try:
            resp = control_http().request(method, f"{self.control_url}/{action}", json=body, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise PscControlError(f"PSC simulator control API unreachable: {exc}") from exc
        if resp.status_code != 200:
            raise PscControlError(f"PSC simulator refused {action}: {resp.status_code} {resp.text[:200]}")
        return resp.json()

    def info(self) -> dict[str, Any]:
        """Issuer, professionals and modes of the simulator."""
        return dict(self._call("GET", "info"))

    @property
    def issuer(self) -> str:
        """The simulator's issuer."""
        return str(self.info()["issuer"])

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Authorization requests recorded so far."""
        return list(self._call("GET", "requests"))

    @property
    def token_requests(self) -> list[dict[str, Any]]:
        """Token requests recorded so far."""
        return list(self._call("GET", "tokens"))

    def misbehave(self, mode: str | None, *, ticket: str | None = None) -> None:
        """Misbehave on the next token issued (for ``ticket`` only, when given)."""
        self._call("POST", "misbehave", {"mode": mode, "ticket": ticket})

    def new_ticket(self, *, mode: str | None = None, login_as: str | None = None) -> str:
        """Register a browser ticket (cookie ``homolog_psc_ticket``) and return it."""
        ticket = secrets.token_urlsafe(12)
        self._call("POST", "ticket", {"ticket": ticket, "mode": mode, "login_as": login_as})
        return ticket

    def reset(self) -> None:
        """Forget every record and pending order."""
        self._call("POST", "reset", {})
