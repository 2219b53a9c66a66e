"""What every SOAP simulator is from the outside: a context manager with an HTTPS ``url``,
the ``ca_file`` to trust, a ``control_url`` and its exchange log (a ``Counterpart``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

from homolog.counterparts import TargetAdditions

from .server import Reply, Request, SoapService

__all__ = ["SoapSimulator"]


class SoapSimulator:
    """Base of the INSi and DMP simulators: lifecycle and addresses over a :class:`SoapService`.

    A subclass sets ``name`` and ``path`` and answers requests in ``_handle``; it may add
    to ``GET info`` (``_info``), serve control actions (``_control``) and forget its own
    state on ``POST reset`` (``_on_reset``).
    """

    name: ClassVar[str]
    path: ClassVar[str]

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        control_port: int = 0,
        workdir: Path | None = None,
        max_body: int,
    ) -> None:
        self._service = SoapService(
            name=self.name,
            path=self.path,
            handle=self._handle,
            info=self._info,
            control=self._control,
            on_reset=self._on_reset,
            host=host,
            port=port,
            control_port=control_port,
            workdir=workdir,
            max_body=max_body,
        )
        self.log = self._service.log

    # ---- to override ---------------------------------------------------------------------
    def _handle(self, request: Request) -> Reply:
        raise NotImplementedError

    def _info(self) -> dict[str, Any]:
        return {}

    def _control(self, method: str, action: str, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        return 404, {"error": f"unknown control action {method} {action}"}

    def _on_reset(self) -> None:
        """Nothing beyond the exchange log to forget."""

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self) -> Self:
        """Generate the CA, bind 127.0.0.1, serve in daemon threads."""
        self._service.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the ports (idempotent)."""
        self._service.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- addresses ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The endpoint the system under test calls (HTTPS)."""
        return self._service.url

    @property
    def ca_file(self) -> Path:
        """The CA the system under test must trust to call ``url``."""
        return self._service.ca_file

    @property
    def control_url(self) -> str:
        """Base URL of the control API (contains the simulator's secret)."""
        return self._service.control_url

    def target_additions(self) -> TargetAdditions:
        """Nothing beyond ``settings.counterparts.<name>`` (``url``, ``control_url``), which every run records.

        The checks reach the simulator through its control API only (the ``counterpart``
        fixture); how the system is configured to call it (URL, CA to trust) is the
        vendor's, as with the real service.
        """
        return TargetAdditions()

    def exchanges(self, since: int = 0) -> list[dict[str, Any]]:
        """Exchange records after ``since``, oldest first."""
        return self.log.since(since)
