"""What the suites driving a SOAP counterpart share (identity with INSi, dmp with the DMP).

Both reach their simulator through a control client of ``homolog.counterparts.soap``
and read a ``settings.<service>`` block of the target; the ways these can go wrong (no
control API, a simulator other than the one the run recorded, a bad setting) end the
check in ``error`` with the same words for every service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from homolog import CheckError, CounterpartEndpoint, Target
from homolog.counterparts.soap import ControlClient, ControlError

__all__ = ["control_client", "service_settings", "started_control", "wait_for_exchanges"]

Control = TypeVar("Control", bound=ControlClient)
Settings = TypeVar("Settings", bound=BaseModel)


def service_settings(target: Target, key: str, model: type[Settings]) -> Settings:
    """The validated ``settings.<key>`` of the target; a bad value is a CheckError naming it."""
    raw = target.settings(key)
    try:
        return model.model_validate(dict(raw) if isinstance(raw, Mapping) else {})
    except ValidationError as exc:
        raise CheckError(f"target settings.{key} is invalid: {exc}") from None


def control_client(endpoint: CounterpartEndpoint, client: type[Control]) -> Control:
    """The control client of the simulator the run started (``counterpart(name)``)."""
    try:
        return client(endpoint.control_url)
    except ControlError as exc:
        raise CheckError(str(exc)) from None


def started_control(endpoint: CounterpartEndpoint, client: type[Control]) -> Control:
    """The control client, once the simulator behind it answers and serves the URL the run recorded."""
    control = control_client(endpoint, client)
    try:
        served = control.info().get("url")
    except ControlError as exc:
        raise CheckError(str(exc)) from None
    if endpoint.url and served and endpoint.url != served:
        raise CheckError(
            f"the run records the {client.service} simulator on {endpoint.url}, the one at its control URL serves"
            f" {served}: they must match"
        )
    return control


def wait_for_exchanges(
    control: ControlClient, since: int, match: Callable[[dict[str, Any]], bool], *, wait: float
) -> list[dict[str, Any]]:
    """Exchanges after ``since`` that ``match`` (waits up to ``wait`` seconds); CheckError when
    the control API fails."""
    try:
        return control.wait_for(since, match, timeout=wait)
    except ControlError as exc:
        raise CheckError(str(exc)) from None
