"""Client of the MSSanté simulator's control API, usable from any process (xdist workers)."""

from __future__ import annotations

from typing import Any

import httpx

from ..loopback import control_http

__all__ = ["MssControl", "MssControlError"]

_MAX_CONTENT = 32 * 1024 * 1024


class MssControlError(Exception):
    """The simulator's control API could not be reached or refused the request."""


class MssControl:
    """Read what a running simulator, known by its control URL, received and concluded."""

    def __init__(self, control_url: str, *, timeout: float = 10.0) -> None:
        if not control_url.startswith("http://127.0.0.1:"):
            # The simulator only ever listens on loopback; anything else is a typo or worse.
            raise MssControlError(f"control URL must be on http://127.0.0.1: {control_url!r}")
        self.control_url = control_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, action: str, body: dict[str, Any] | None = None) -> httpx.Response:
        try:
            resp = control_http().request(method, f"{self.control_url}/{action}", json=body, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise MssControlError(f"MSSanté simulator control API unreachable: {exc}") from exc
        if resp.status_code != 200:
            raise MssControlError(f"MSSanté simulator refused {action}: {resp.status_code} {resp.text[:200]}")
        if len(resp.content) > _MAX_CONTENT:
            raise MssControlError(f"MSSanté simulator answered {len(resp.content)} bytes to {action}")
        return resp

    def info(self) -> dict[str, Any]:
        """Addresses, mailbox, domains, limits, CA and counters."""
        return dict(self._call("GET", "info").json())

    def counters(self) -> dict[str, int]:
        """The next session and message sequence numbers."""
        return {k: int(v) for k, v in self.info()["counters"].items()}

    def sessions(self, since: int = 0) -> list[dict[str, Any]]:
        """Sessions recorded with ``seq >= since``."""
        return list(self._call("GET", f"sessions?since={int(since)}").json())

    def messages(self, since: int = 0) -> list[dict[str, Any]]:
        """Messages recorded with ``seq >= since``."""
        return list(self._call("GET", f"messages?since={int(since)}").json())

    def raw_message(self, seq: int) -> bytes:
        """The message as received."""
        return self._call("GET", f"messages/{int(seq)}/raw").content

    def document(self, seq: int, index: int) -> bytes:
        """The index-th document of the message's XDM archive."""
        return self._call("GET", f"messages/{int(seq)}/documents/{int(index)}").content

    def client_certificate(self, mailbox: str | None = None) -> dict[str, str]:
        """A new client certificate and key (PEM) for a mailbox of the operator."""
        return {k: str(v) for k, v in self._call("POST", "client-certificate", {"mailbox": mailbox}).json().items()}

    def reset(self) -> None:
        """Forget every record."""
        self._call("POST", "reset", {})
