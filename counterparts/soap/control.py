"""Client of a simulator's control API, usable from any process (xdist workers, the CLI)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from ..loopback import control_http

__all__ = ["ControlClient", "ControlError"]


class ControlError(Exception):
    """The control API could not be reached or refused the order."""


class ControlClient:
    """Reads a simulator's exchange log and sends it orders, knowing only its control URL."""

    service = "simulator"

    def __init__(self, control_url: str, *, timeout: float = 5.0) -> None:
        if not isinstance(control_url, str) or not control_url.startswith("http://127.0.0.1:"):
            # Simulators only ever listen on loopback; anything else is a typo or worse.
            raise ControlError(f"{self.service} control URL must be on http://127.0.0.1: {control_url!r}")
        self.control_url = control_url.rstrip("/")
        self.timeout = timeout

    def call(self, method: str, action: str, body: Any = None, *, params: dict[str, Any] | None = None) -> Any:
        """One control request; JSON answers are decoded, binary ones returned as bytes."""
        try:
            resp = control_http().request(
                method, f"{self.control_url}/{action}", json=body, params=params, timeout=self.timeout
            )
        except httpx.HTTPError as exc:
            raise ControlError(f"{self.service} simulator control API unreachable: {exc}") from exc
        if resp.status_code != 200:
            raise ControlError(f"{self.service} simulator refused {action}: {resp.status_code} {resp.text[:300]}")
        if resp.headers.get("content-type", "").startswith("application/json"):
            return resp.json()
        return resp.content

    def info(self) -> dict[str, Any]:
        """What the simulator says about itself (endpoint, test data...)."""
        return dict(self.call("GET", "info"))

    def last_seq(self) -> int:
        """Sequence number of the latest exchange (0 when none): note it before acting."""
        return int(self.info().get("last_seq", 0))

    def exchanges(self, since: int = 0) -> list[dict[str, Any]]:
        """Exchange records after ``since``, oldest first."""
        return list(self.call("GET", "exchanges", params={"since": since}))

    def blob(self, seq: int, name: str) -> bytes:
        """A binary part kept with exchange ``seq`` (e.g. a document)."""
        data = self.call("GET", f"exchanges/{seq}/blobs/{name}")
        if not isinstance(data, bytes):
            raise ControlError(f"{self.service} simulator answered JSON for blob {name!r} of exchange {seq}")
        return data

    def wait_for(
        self,
        since: int,
        match: Callable[[dict[str, Any]], bool],
        *,
        timeout: float,
        interval: float = 0.1,
    ) -> list[dict[str, Any]]:
        """Records after ``since`` that ``match``, polling until one comes or ``timeout`` ends.

        Returns every matching record seen (empty when none came in time).
        """
        deadline = time.monotonic() + timeout
        while True:
            found = [r for r in self.exchanges(since) if match(r)]
            if found or time.monotonic() >= deadline:
                return found
            time.sleep(interval)

    def reset(self) -> None:
        """Forget every record and pending order."""
        self.call("POST", "reset", {})
